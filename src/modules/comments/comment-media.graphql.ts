import { builder } from '../../graphql/builder.js';
import type { Context } from '../../graphql/context.js';
import { NotFoundError, ValidationError } from '../../graphql/errors.js';
import { reread, selectingSomething } from '../../graphql/query.js';
import { FileTooLargeError } from '../files/file.errors.js';
import { AttachmentsDisabledError, CommentsDisabledError, PositionTakenError, TooManyAttachmentsError } from './comment.errors.js';
import { assertCommentsQueryable, commentReadableWhere, commentScopes, loadComment, signedInViewer } from './comment.graphql.js';

builder.prismaNode('CommentMedia', {
  id: { field: 'uuid' },
  description: 'A file attached to a comment, at a position unique within the comment, with an optional caption.',
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    commentUuid: t.expose('commentUuid', { type: 'UUID' }),
    comment: t.relation('comment'),
    fileUuid: t.expose('fileUuid', { type: 'UUID' }),
    file: t.relation('file'),
    position: t.exposeInt('position'),
    caption: t.exposeString('caption', { nullable: true }),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaObjectField('File', 'commentMedia', (t) =>
  t.relation('commentMedia', {
    description: 'Where the file is attached: in comments the viewer may read. MODULE_DISABLED while comments are off.',
    // a thrown error passes through the scope check as the field's error (the relation still loads with its parent)
    authScopes: async (_file, _args, ctx) => {
      await assertCommentsQueryable(ctx);
      return true;
    },
    query: (_args, ctx) => ({ where: { comment: commentReadableWhere(ctx.viewer) }, orderBy: { uuid: 'asc' } }),
  }),
);

const AttachCommentMediaInput = builder.inputType('AttachCommentMediaInput', {
  fields: (t) => ({
    commentUuid: t.field({ type: 'UUID', required: true }),
    fileUuid: t.field({ type: 'UUID', required: true, description: 'A file you may read, within the attachment size cap.' }),
    position: t.int({ description: '1..comments_max_attachments; default: the first free position.' }),
    caption: t.string({ description: 'At most 500 characters.' }),
  }),
});

const DetachCommentMediaInput = builder.inputType('DetachCommentMediaInput', {
  description: 'Name the attachment by `mediaUuid`, or by `commentUuid` and `fileUuid`.',
  fields: (t) => ({
    mediaUuid: t.field({ type: 'UUID' }),
    commentUuid: t.field({ type: 'UUID' }),
    fileUuid: t.field({ type: 'UUID' }),
  }),
});

const ReorderCommentMediaInput = builder.inputType('ReorderCommentMediaInput', {
  fields: (t) => ({
    commentUuid: t.field({ type: 'UUID', required: true }),
    mediaUuids: t.field({ type: ['UUID'], required: true, description: "Every attachment of the comment once, in the new order." }),
  }),
});

const UpdateCommentMediaInput = builder.inputType('UpdateCommentMediaInput', {
  fields: (t) => ({
    mediaUuid: t.field({ type: 'UUID', required: true }),
    caption: t.string({ description: 'At most 500 characters; null or blank removes it.' }),
  }),
});

/** Scopes for changing an attachment: those of its comment (author or admin). */
async function mediaScopes(ctx: Context, input: { mediaUuid?: string | null; commentUuid?: string | null }) {
  if (!ctx.viewer) return false;
  if (input.mediaUuid) {
    const media = await ctx.db.commentMedia.findUnique({ where: { uuid: input.mediaUuid }, select: { commentUuid: true } });
    return commentScopes(ctx, media?.commentUuid);
  }
  return commentScopes(ctx, input.commentUuid);
}

builder.mutationFields((t) => ({
  attachCommentMedia: t.prismaField({
    type: 'CommentMedia',
    description: 'Attaches a file to a comment (its author or an admin); of simultaneous attaches to one position exactly one wins.',
    authScopes: (_root, { input }, ctx) => commentScopes(ctx, input.commentUuid),
    errors: {
      types: [ValidationError, NotFoundError, CommentsDisabledError, AttachmentsDisabledError, TooManyAttachmentsError, PositionTakenError, FileTooLargeError],
    },
    args: { input: t.arg({ type: AttachCommentMediaInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const media = await ctx.services.commentMedia.attach(signedInViewer(ctx), input);
      return reread('Attachment', ctx.db.commentMedia.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: media.uuid } }));
    },
  }),
  detachCommentMedia: t.prismaField({
    type: 'Comment',
    description: 'Removes an attachment (the file stays); the remaining ones close up to positions 1..n. Returns the comment.',
    authScopes: (_root, { input }, ctx) => mediaScopes(ctx, input),
    errors: { types: [ValidationError, NotFoundError, CommentsDisabledError] },
    args: { input: t.arg({ type: DetachCommentMediaInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => loadComment(ctx, query, await ctx.services.commentMedia.detach(input)),
  }),
  reorderCommentMedia: t.prismaField({
    type: 'Comment',
    description: "Sets the order of a comment's attachments (its author or an admin). Returns the comment.",
    authScopes: (_root, { input }, ctx) => commentScopes(ctx, input.commentUuid),
    errors: { types: [ValidationError, NotFoundError, CommentsDisabledError] },
    args: { input: t.arg({ type: ReorderCommentMediaInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => loadComment(ctx, query, await ctx.services.commentMedia.reorder(input)),
  }),
  updateCommentMedia: t.prismaField({
    type: 'CommentMedia',
    description: "Changes an attachment's caption (the comment's author or an admin).",
    authScopes: (_root, { input }, ctx) => mediaScopes(ctx, input),
    errors: { types: [ValidationError, NotFoundError, CommentsDisabledError] },
    args: { input: t.arg({ type: UpdateCommentMediaInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const media = await ctx.services.commentMedia.setCaption(input);
      return reread('Attachment', ctx.db.commentMedia.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: media.uuid } }));
    },
  }),
}));
