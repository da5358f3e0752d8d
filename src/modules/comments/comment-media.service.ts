import type { Db } from '../../db/database.js';
import type { CommentMedia, Prisma } from '../../generated/prisma/client.js';
import type { Viewer } from '../../graphql/context.js';
import { NotFoundError, ValidationError } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import { FileTooLargeError } from '../files/file.errors.js';
import type { FileService } from '../files/file.service.js';
import { captionIssue, positionIssue } from './domain/comment-rules.js';
import { AttachmentsDisabledError, PositionTakenError, TooManyAttachmentsError } from './comment.errors.js';
import { COMMENT_TX_OPTIONS, lockCommentMedia, type CommentService } from './comment.service.js';

type Tx = Prisma.TransactionClient;

export type AttachInput = { commentUuid: string; fileUuid: string; position?: number | null; caption?: string | null };
/** Name the attachment by its uuid, or by its comment and file. */
export type DetachInput = { mediaUuid?: string | null; commentUuid?: string | null; fileUuid?: string | null };

export type CommentMediaServiceDeps = { db: Db; log: Logger; comments: CommentService; files: FileService };

// positions are unique per comment at every moment, so renumbering parks the rows out of the way first
const PARKING_OFFSET = 1_000_000;

async function renumber(tx: Tx, commentUuid: string, ordered: readonly string[]): Promise<void> {
  await tx.commentMedia.updateMany({ where: { commentUuid }, data: { position: { increment: PARKING_OFFSET } } });
  for (const [i, uuid] of ordered.entries()) await tx.commentMedia.update({ where: { uuid }, data: { position: i + 1 } });
}

const blankToNull = (caption: string | null | undefined) => (caption == null || caption.trim() === '' ? null : caption);

export function createCommentMediaService({ db, log, comments, files }: CommentMediaServiceDeps) {
  /** The attachment named by `input`, or NotFoundError. */
  async function findMedia(input: DetachInput): Promise<CommentMedia> {
    const byUuid = input.mediaUuid != null;
    const byPair = input.commentUuid != null && input.fileUuid != null;
    if (byUuid === byPair) {
      throw new ValidationError('Invalid attachment', [{ path: 'mediaUuid', message: 'give either mediaUuid, or commentUuid and fileUuid' }]);
    }
    const media = byUuid
      ? await db.commentMedia.findUnique({ where: { uuid: input.mediaUuid! } })
      : await db.commentMedia.findFirst({ where: { commentUuid: input.commentUuid!, fileUuid: input.fileUuid! } });
    if (!media) throw new NotFoundError('CommentMedia');
    return media;
  }

  return {
    findMedia,

    /**
     * Attaches a file the author may read to a comment, at `position` (default: the first free one, i.e. after the last
   * when there are no gaps) with a caption.
     * Count, position and duplicates are decided under the comment's lock: of simultaneous attaches to one position
     * exactly one wins and the others get PositionTakenError.
     */
    async attach(viewer: Viewer, input: AttachInput): Promise<CommentMedia> {
      await comments.assertEnabled();
      const rules = await comments.limits();
      if (!rules.attachmentsEnabled) throw new AttachmentsDisabledError();
      const issues = [captionIssue(input.caption), input.position == null ? null : positionIssue(input.position, rules.maxAttachments)];
      if (issues.some(Boolean)) throw new ValidationError('Invalid attachment', issues.filter((i) => i !== null));
      const comment = await comments.liveComment(input.commentUuid);
      const file = await files.visibleFile(viewer, input.fileUuid);
      if (file.status === 'trashed') throw new ValidationError('Invalid attachment', [{ path: 'fileUuid', message: 'is in the trash' }]);
      if (Number(file.size) > rules.maxAttachmentBytes) throw new FileTooLargeError(rules.maxAttachmentBytes);
      try {
        const media = await db.$transaction(async (tx) => {
          await lockCommentMedia(tx, comment.uuid);
          const current = await tx.comment.findUnique({ where: { uuid: comment.uuid }, select: { status: true } });
          if (!current || current.status === 'deleted') throw new NotFoundError('Comment');
          const existing = await tx.commentMedia.findMany({ where: { commentUuid: comment.uuid }, select: { position: true, fileUuid: true } });
          if (existing.length >= rules.maxAttachments) throw new TooManyAttachmentsError(rules.maxAttachments);
          if (existing.some((m) => m.fileUuid === file.uuid)) {
            throw new ValidationError('Invalid attachment', [{ path: 'fileUuid', message: 'is already attached to this comment' }]);
          }
          const taken = new Set(existing.map((m) => m.position));
          let position = input.position ?? 1;
          if (input.position == null) while (taken.has(position)) position++;
          if (taken.has(position)) throw new PositionTakenError(position);
          return tx.commentMedia.create({ data: { commentUuid: comment.uuid, fileUuid: file.uuid, position, caption: blankToNull(input.caption) } });
        }, COMMENT_TX_OPTIONS);
        log.info({ commentUuid: comment.uuid, fileUuid: file.uuid, position: media.position }, 'comment media attached');
        return media;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'P2002') throw new PositionTakenError(input.position ?? 0);
        if (code === 'P2003') throw new NotFoundError('File');
        throw error;
      }
    },

    /** Removes one attachment (the file stays) and closes the gap, so positions remain 1..n. Returns the comment uuid. */
    async detach(input: DetachInput): Promise<string> {
      await comments.assertEnabled();
      const media = await findMedia(input);
      await db.$transaction(async (tx) => {
        await lockCommentMedia(tx, media.commentUuid);
        const { count } = await tx.commentMedia.deleteMany({ where: { uuid: media.uuid } });
        if (count === 0) throw new NotFoundError('CommentMedia');
        const rest = await tx.commentMedia.findMany({ where: { commentUuid: media.commentUuid }, orderBy: { position: 'asc' }, select: { uuid: true } });
        // a comment is its text or its files: the last file of one without text stays (delete the comment instead)
        const owner = await tx.comment.findUnique({ where: { uuid: media.commentUuid }, select: { body: true, status: true } });
        if (rest.length === 0 && owner && owner.status !== 'deleted' && owner.body.trim() === '') {
          throw new ValidationError('Invalid attachment', [{ path: 'mediaUuid', message: 'is the only content of its comment: delete the comment instead' }]);
        }
        await renumber(tx, media.commentUuid, rest.map((m) => m.uuid));
      }, COMMENT_TX_OPTIONS);
      log.info({ commentUuid: media.commentUuid, fileUuid: media.fileUuid }, 'comment media detached');
      return media.commentUuid;
    },

    /** Sets the order of a comment's attachments: `mediaUuids` must list each of them once; they get positions 1..n. */
    async reorder(input: { commentUuid: string; mediaUuids: readonly string[] }): Promise<string> {
      await comments.assertEnabled();
      const comment = await comments.liveComment(input.commentUuid);
      await db.$transaction(async (tx) => {
        await lockCommentMedia(tx, comment.uuid);
        const current = await tx.commentMedia.findMany({ where: { commentUuid: comment.uuid }, select: { uuid: true } });
        const known = new Set(current.map((m) => m.uuid));
        if (new Set(input.mediaUuids).size !== input.mediaUuids.length || input.mediaUuids.length !== known.size || input.mediaUuids.some((u) => !known.has(u))) {
          throw new ValidationError('Invalid order', [{ path: 'mediaUuids', message: "must list each of the comment's attachments exactly once" }]);
        }
        await renumber(tx, comment.uuid, input.mediaUuids);
      }, COMMENT_TX_OPTIONS);
      return comment.uuid;
    },

    /** Changes an attachment's caption (blank removes it). */
    async setCaption(input: { mediaUuid: string; caption?: string | null }): Promise<CommentMedia> {
      await comments.assertEnabled();
      const issue = captionIssue(input.caption);
      if (issue) throw new ValidationError('Invalid attachment', [issue]);
      const { count } = await db.commentMedia.updateMany({ where: { uuid: input.mediaUuid }, data: { caption: blankToNull(input.caption) } });
      if (count === 0) throw new NotFoundError('CommentMedia');
      return db.commentMedia.findUniqueOrThrow({ where: { uuid: input.mediaUuid } });
    },
  };
}

export type CommentMediaService = ReturnType<typeof createCommentMediaService>;
