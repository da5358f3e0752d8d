import type { Db } from '../../db/database.js';
import type { Comment, Prisma } from '../../generated/prisma/client.js';
import type { Viewer } from '../../graphql/context.js';
import { NotFoundError, ValidationError, type FieldIssue } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import { FileTooLargeError } from '../files/file.errors.js';
import type { FileService } from '../files/file.service.js';
import type { SettingsService } from '../settings/setting.service.js';
import {
  attachmentMaxBytes,
  captionIssue,
  commentBodyIssue,
  commentReadable,
  commentRefusal,
  positiveIntSetting,
  resourceTypeIssue,
  type CommentLimits,
} from './domain/comment-rules.js';
import { AttachmentsDisabledError, CommentsDisabledError, TooManyAttachmentsError } from './comment.errors.js';

export const COMMENT_TX_OPTIONS = { maxWait: 30_000, timeout: 30_000 } as const;

/** Serialises every change to one comment's attachments (count cap, positions) and its deletion. */
export async function lockCommentMedia(tx: Prisma.TransactionClient, commentUuid: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`phoenix_kit_comment_media:${commentUuid}`}))`;
}

export type AttachmentInput = { fileUuid: string; caption?: string | null };
export type CreateCommentInput = {
  resourceType: string;
  resourceUuid: string;
  body: string;
  /** The parent comment's uuid. */
  parentUuid?: string | null;
  attachments?: readonly AttachmentInput[] | null;
};

export type CommentServiceDeps = { db: Db; log: Logger; settings: SettingsService; files: FileService };

const invalid = (issues: FieldIssue[]) => new ValidationError('Invalid comment', issues);
const blankToNull = (caption: string | null | undefined) => (caption == null || caption.trim() === '' ? null : caption);

export function createCommentService({ db, log, settings, files }: CommentServiceDeps) {
  const isEnabled = () => settings.getBoolean('comments_enabled');

  async function assertEnabled(): Promise<void> {
    if (!(await isEnabled())) throw new CommentsDisabledError();
  }

  /** Comment settings as numbers, with the original's fallbacks for missing or broken values. */
  async function limits(): Promise<CommentLimits> {
    const [maxDepth, maxLength, attachmentsEnabled, maxAttachments, commentCap, storageCap] = await Promise.all([
      settings.get('comments_max_depth'),
      settings.get('comments_max_length'),
      settings.getBoolean('comments_attachments_enabled'),
      settings.get('comments_max_attachments'),
      settings.get('comments_attachment_max_size_mb'),
      settings.get('storage_max_upload_size_mb'),
    ]);
    return {
      maxDepth: positiveIntSetting(maxDepth, 10),
      maxLength: positiveIntSetting(maxLength, 10_000),
      attachmentsEnabled,
      maxAttachments: positiveIntSetting(maxAttachments, 4),
      maxAttachmentBytes: attachmentMaxBytes(positiveIntSetting(commentCap, 20), positiveIntSetting(storageCap, 500)),
    };
  }

  /** A comment that can still be edited (exists and is not deleted). */
  async function liveComment(uuid: string): Promise<Comment> {
    const comment = await db.comment.findUnique({ where: { uuid } });
    if (!comment || comment.status === 'deleted') throw new NotFoundError('Comment');
    return comment;
  }

  /** Files the author may read (their own; any for admins); refused before anything is written. */
  async function checkReadable(viewer: Viewer, attachments: readonly AttachmentInput[]): Promise<void> {
    const issues: FieldIssue[] = [];
    for (const [i, a] of attachments.entries()) {
      try {
        const file = await files.visibleFile(viewer, a.fileUuid);
        if (file.status === 'trashed') issues.push({ path: `attachments.${i}.fileUuid`, message: 'is in the trash' });
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        issues.push({ path: `attachments.${i}.fileUuid`, message: 'is not a file you can use' });
      }
    }
    if (issues.length > 0) throw invalid(issues);
  }

  return {
    isEnabled,
    assertEnabled,
    limits,
    liveComment,

    /** Authors edit and delete their own comments; admins (Owner, Admin) any. */
    canEdit(viewer: Viewer, comment: Pick<Comment, 'userUuid'>): boolean {
      return viewer.isAdmin || comment.userUuid === viewer.uuid;
    },

    /**
     * Creates a comment, threaded under `parentUuid`, with its attachments at positions 1..n in the same transaction:
     * each attachment is checked (the file still exists and is within the size cap) and inserted in turn, and the
     * first one that fails rolls back the comment and every attachment before it.
     */
    async create(viewer: Viewer, input: CreateCommentInput): Promise<Comment> {
      await assertEnabled();
      const attachments = input.attachments ?? [];
      const issues: FieldIssue[] = [];
      const typeIssue = resourceTypeIssue(input.resourceType);
      if (typeIssue) issues.push(typeIssue);
      const seen = new Set<string>();
      attachments.forEach((a, i) => {
        const problem = captionIssue(a.caption, `attachments.${i}.caption`);
        if (problem) issues.push(problem);
        if (seen.has(a.fileUuid)) issues.push({ path: `attachments.${i}.fileUuid`, message: 'is attached twice' });
        seen.add(a.fileUuid);
      });
      if (issues.length > 0) throw invalid(issues);
      const rules = await limits();
      let parent: Comment | null = null;
      if (input.parentUuid) {
        parent = await db.comment.findUnique({ where: { uuid: input.parentUuid } });
        // a reply shows its parent: one the author may not read (another user's pending or hidden) is no parent
        if (!parent || parent.status === 'deleted' || !commentReadable(viewer, parent)) {
          throw invalid([{ path: 'parentId', message: 'is not a comment' }]);
        }
        if (parent.resourceType !== input.resourceType || parent.resourceUuid !== input.resourceUuid) {
          throw invalid([{ path: 'parentId', message: 'belongs to another resource' }]);
        }
      }
      const refusal = commentRefusal({ body: input.body, parentDepth: parent?.depth ?? null, attachmentCount: attachments.length }, rules);
      if (refusal?.kind === 'invalid') throw invalid([refusal.issue]);
      if (refusal?.kind === 'attachments_disabled') throw new AttachmentsDisabledError();
      if (refusal?.kind === 'too_many_attachments') throw new TooManyAttachmentsError(rules.maxAttachments);
      await checkReadable(viewer, attachments);

      const comment = await db
        .$transaction(async (tx) => {
          const created = await tx.comment.create({
            data: {
              resourceType: input.resourceType,
              resourceUuid: input.resourceUuid,
              userUuid: viewer.uuid,
              parentUuid: parent?.uuid ?? null,
              depth: parent ? parent.depth + 1 : 0,
              body: input.body,
            },
          });
          for (const [i, a] of attachments.entries()) {
            const file = await tx.file.findUnique({ where: { uuid: a.fileUuid }, select: { size: true } });
            if (!file) throw invalid([{ path: `attachments.${i}.fileUuid`, message: 'is not a file you can use' }]);
            if (Number(file.size) > rules.maxAttachmentBytes) throw new FileTooLargeError(rules.maxAttachmentBytes);
            await tx.commentMedia.create({ data: { commentUuid: created.uuid, fileUuid: a.fileUuid, position: i + 1, caption: blankToNull(a.caption) } });
          }
          return created;
        }, COMMENT_TX_OPTIONS)
        .catch((error: unknown) => {
          // the file was deleted between the check and the insert
          if ((error as { code?: string }).code === 'P2003') throw invalid([{ path: 'attachments', message: 'a file is no longer there' }]);
          throw error;
        });
      log.info({ commentUuid: comment.uuid, resourceType: comment.resourceType, attachments: attachments.length }, 'comment created');
      return comment;
    },

    /** Replaces a comment's body (author or admin); `editedAt` records when. */
    async update(input: { uuid: string; body: string }): Promise<Comment> {
      await assertEnabled();
      const comment = await liveComment(input.uuid);
      const { maxLength } = await limits();
      // under the lock a deletion and attachment changes take: a comment deleted meanwhile keeps its cleared body, and
      // "no files" is still true when a blank body is written
      return db.$transaction(async (tx) => {
        await lockCommentMedia(tx, comment.uuid);
        const current = await tx.comment.findUnique({ where: { uuid: comment.uuid }, select: { status: true } });
        if (!current || current.status === 'deleted') throw new NotFoundError('Comment');
        const hasMedia = (await tx.commentMedia.count({ where: { commentUuid: comment.uuid } })) > 0;
        const issue = commentBodyIssue(input.body, maxLength, hasMedia);
        if (issue) throw invalid([issue]);
        return tx.comment.update({ where: { uuid: comment.uuid }, data: { body: input.body, editedAt: new Date() } });
      }, COMMENT_TX_OPTIONS);
    },

    /**
     * Deletes a comment the way the original does (status `deleted`, so replies keep their place in the thread) and
     * clears its body; its attachment rows go in the same transaction, so the files can be deleted afterwards.
     */
    async remove(uuid: string): Promise<string> {
      await assertEnabled();
      const comment = await liveComment(uuid);
      await db.$transaction(async (tx) => {
        await lockCommentMedia(tx, comment.uuid);
        await tx.commentMedia.deleteMany({ where: { commentUuid: comment.uuid } });
        await tx.comment.update({ where: { uuid: comment.uuid }, data: { status: 'deleted', body: '' } });
      }, COMMENT_TX_OPTIONS);
      log.info({ commentUuid: uuid }, 'comment deleted');
      return uuid;
    },
  };
}

export type CommentService = ReturnType<typeof createCommentService>;
