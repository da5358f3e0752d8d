import type { FieldIssue } from '../../../graphql/errors.js';
import { isStorableText } from '../../../util/text.js';

const MiB = 1024 * 1024;
export const RESOURCE_TYPE = /^[a-z][a-z0-9_]{0,49}$/;
export const CAPTION_MAX = 500;

/** Who reads comments: null when anonymous. */
export type CommentReader = Readonly<{ uuid: string; isAdmin: boolean }> | null;

/**
 * Whether `reader` may read a comment: admins any; others published ones, deleted ones (their body is cleared) and
 * their own (pending or hidden included). `commentReadableWhere` is the same rule as a query filter.
 */
export function commentReadable(reader: CommentReader, comment: Readonly<{ status: string; userUuid: string | null }>): boolean {
  if (reader?.isAdmin) return true;
  return comment.status === 'published' || comment.status === 'deleted' || (reader !== null && comment.userUuid === reader.uuid);
}

/** Comment settings as numbers and flags, read once per write. */
export type CommentLimits = {
  maxDepth: number;
  maxLength: number;
  attachmentsEnabled: boolean;
  maxAttachments: number;
  maxAttachmentBytes: number;
};

/** A positive whole number from a setting string, else `fallback` (the original's Integer.parse with a default). */
export function positiveIntSetting(value: string | null, fallback: number): number {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Per-attachment cap: the comments cap, never above the platform's upload cap (reference §2.14). */
export function attachmentMaxBytes(commentCapMb: number, storageCapMb: number): number {
  return Math.min(commentCapMb, storageCapMb) * MiB;
}

const length = (text: string) => [...text].length;

/**
 * The checks the original runs before inserting a comment, in its order: thread depth, body length, attachment count
 * (any attachment needs `comments_attachments_enabled`; at most `comments_max_attachments`), then a non-empty comment
 * (text or at least one file). Depth counts from 0 for a top-level comment and must stay below `maxDepth`.
 */
export function commentRefusal(
  input: { body: string; parentDepth: number | null; attachmentCount: number },
  limits: CommentLimits,
): { kind: 'invalid'; issue: FieldIssue } | { kind: 'attachments_disabled' } | { kind: 'too_many_attachments' } | null {
  const depth = input.parentDepth === null ? 0 : input.parentDepth + 1;
  if (depth >= limits.maxDepth) {
    return { kind: 'invalid', issue: { path: 'parentId', message: `replies nest at most ${limits.maxDepth} levels deep` } };
  }
  const bodyIssue = commentBodyIssue(input.body, limits.maxLength, input.attachmentCount > 0);
  if (bodyIssue && bodyIssue.message !== 'is required') return { kind: 'invalid', issue: bodyIssue };
  if (input.attachmentCount > 0) {
    if (!limits.attachmentsEnabled) return { kind: 'attachments_disabled' };
    if (input.attachmentCount > limits.maxAttachments) return { kind: 'too_many_attachments' };
  }
  return bodyIssue ? { kind: 'invalid', issue: bodyIssue } : null;
}

/** A body within `maxLength` code points, storable, and not blank unless the comment has files. */
export function commentBodyIssue(body: string, maxLength: number, hasFiles: boolean): FieldIssue | null {
  if (length(body) > maxLength) return { path: 'body', message: `must be at most ${maxLength} characters` };
  if (!isStorableText(body)) return { path: 'body', message: 'contains characters that cannot be stored' };
  if (body.trim() === '' && !hasFiles) return { path: 'body', message: 'is required' };
  return null;
}

/** A caption of at most 500 characters (reference §2.14); blank means none. */
export function captionIssue(caption: string | null | undefined, path = 'caption'): FieldIssue | null {
  if (caption == null) return null;
  if (length(caption) > CAPTION_MAX || !isStorableText(caption)) return { path, message: `must be at most ${CAPTION_MAX} characters` };
  return null;
}

/** Positions run from 1 and never past the attachment cap, so a comment's media stay within 1..max. */
export function positionIssue(position: number, maxAttachments: number): FieldIssue | null {
  if (!Number.isInteger(position) || position < 1 || position > maxAttachments) {
    return { path: 'position', message: `must be a whole number from 1 to ${maxAttachments}` };
  }
  return null;
}

/** Resource types name what is commented on ("post", "entity_data"): a-z first, then a-z, 0-9, _ (at most 50). */
export function resourceTypeIssue(resourceType: string): FieldIssue | null {
  return RESOURCE_TYPE.test(resourceType) ? null : { path: 'resourceType', message: 'must be a-z first, then a-z, 0-9 or _ (at most 50)' };
}
