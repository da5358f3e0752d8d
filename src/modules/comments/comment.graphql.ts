import { decodeGlobalID } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import { builder } from '../../graphql/builder.js';
import type { Context, Viewer } from '../../graphql/context.js';
import { ErrorInterface, exposeError } from '../../graphql/error-types.js';
import { NotFoundError, ValidationError } from '../../graphql/errors.js';
import { reread, selectingSomething } from '../../graphql/query.js';
import { FileTooLargeError } from '../files/file.errors.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { AttachmentsDisabledError, CommentsDisabledError, PositionTakenError, TooManyAttachmentsError } from './comment.errors.js';
import { commentReadable, type CommentReader } from './domain/comment-rules.js';
import { isUuid } from '../../util/uuid.js';

exposeError(CommentsDisabledError);
exposeError(AttachmentsDisabledError);
builder.objectType(TooManyAttachmentsError, {
  name: 'TooManyAttachmentsError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof TooManyAttachmentsError,
  fields: (t) => ({ max: t.exposeInt('max') }),
});
builder.objectType(PositionTakenError, {
  name: 'PositionTakenError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof PositionTakenError,
  fields: (t) => ({ position: t.exposeInt('position') }),
});

/** Queries of switched-off comments answer with a top-level error rather than an empty list that looks real. */
export async function assertCommentsQueryable(ctx: Context): Promise<void> {
  if (!(await ctx.services.comments.isEnabled())) {
    throw new GraphQLError('Comments are switched off (setting comments_enabled)', { extensions: { code: 'MODULE_DISABLED' } });
  }
}

/** The signed-in viewer of a mutation whose scope already required one. */
export function signedInViewer(ctx: Context): Viewer {
  if (!ctx.viewer) throw new GraphQLError('Sign in required', { extensions: { code: 'UNAUTHENTICATED' } });
  return ctx.viewer;
}

/** `commentReadable` as a filter on comments (undefined: no filter, for admins). */
export function commentReadableWhere(reader: CommentReader): Prisma.CommentWhereInput | undefined {
  if (reader?.isAdmin) return undefined;
  const shown: Prisma.CommentWhereInput = { status: { in: ['published', 'deleted'] } };
  return reader ? { OR: [shown, { userUuid: reader.uuid }] } : shown;
}

/** Scopes for changing comment `uuid`: its author, or an admin. An unknown comment needs only a signed-in viewer (NotFoundError follows). */
export async function commentScopes(ctx: Context, commentUuid: string | null | undefined) {
  if (!ctx.viewer) return false;
  const comment = commentUuid ? await ctx.db.comment.findUnique({ where: { uuid: commentUuid }, select: { userUuid: true } }) : null;
  return !comment || comment.userUuid === ctx.viewer.uuid ? { viewer: true } : { admin: true };
}

const CommentAuthor = builder.objectRef<{ uuid: string; username: string | null }>('CommentAuthor').implement({
  description: "What readers see of a comment's author.",
  fields: (t) => ({ uuid: t.expose('uuid', { type: 'UUID' }), username: t.exposeString('username', { nullable: true }) }),
});

const CommentRef = builder.prismaNode('Comment', {
  id: { field: 'uuid' },
  description: 'A comment on any resource (resourceType + resourceUuid), threaded through `parent` (depth 0 = top level).',
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    resourceType: t.exposeString('resourceType'),
    resourceUuid: t.expose('resourceUuid', { type: 'UUID' }),
    userUuid: t.expose('userUuid', { type: 'UUID', nullable: true }),
    author: t.field({
      type: CommentAuthor,
      nullable: true,
      description: 'Null when the account is gone.',
      select: { user: { select: { uuid: true, username: true } } },
      resolve: (comment) => comment.user,
    }),
    parentUuid: t.expose('parentUuid', { type: 'UUID', nullable: true }),
    depth: t.exposeInt('depth'),
    body: t.exposeString('body', { description: 'Empty once the comment is deleted.' }),
    status: t.exposeString('status', { description: 'published, pending, hidden or deleted.' }),
    likeCount: t.exposeInt('likeCount'),
    dislikeCount: t.exposeInt('dislikeCount'),
    metadata: t.expose('metadata', { type: 'JSON' }),
    editedAt: t.expose('editedAt', { type: 'DateTime', nullable: true }),
    media: t.relation('media', { description: 'Attachments in position order.', query: { orderBy: [{ position: 'asc' }, { uuid: 'asc' }] } }),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaObjectField('Comment', 'parent', (t) =>
  t.field({
    type: CommentRef,
    nullable: true,
    description: 'The comment replied to; null when there is none or the viewer may not read it (pending, hidden).',
    select: (_args, _ctx, nestedSelection) => ({ parent: nestedSelection({ select: { status: true, userUuid: true } }) }),
    // the nested selection holds what the query asks of the parent (typed here as the two columns this field adds)
    resolve: (comment, _args, ctx) => (comment.parent && commentReadable(ctx.viewer, comment.parent) ? (comment.parent as never) : null),
  }),
);

const CommentAttachmentInput = builder.inputType('CommentAttachmentInput', {
  fields: (t) => ({
    fileUuid: t.field({ type: 'UUID', required: true, description: 'A file you may read.' }),
    caption: t.string({ description: 'At most 500 characters.' }),
  }),
});

const CreateCommentInput = builder.inputType('CreateCommentInput', {
  fields: (t) => ({
    resourceType: t.string({ required: true, description: 'What is commented on, e.g. "post" or "entity_data".' }),
    resourceUuid: t.field({ type: 'UUID', required: true }),
    body: t.string({ required: true, description: 'At most comments_max_length characters; may be blank when files are attached.' }),
    parentId: t.id({ description: 'The comment replied to: its uuid or its Relay id. Replies nest below comments_max_depth.' }),
    attachments: t.field({ type: [CommentAttachmentInput], description: 'Files at positions 1..n, attached in the same transaction.' }),
  }),
});

const UpdateCommentInput = builder.inputType('UpdateCommentInput', {
  fields: (t) => ({ uuid: t.field({ type: 'UUID', required: true }), body: t.string({ required: true }) }),
});

const DeleteCommentInput = builder.inputType('DeleteCommentInput', {
  fields: (t) => ({ uuid: t.field({ type: 'UUID', required: true }) }),
});


/** A parent given as a uuid or as a Comment's Relay id; anything else is refused as input. */
function parentUuidOf(parentId: string | number | null | undefined): string | null {
  if (parentId == null || parentId === '') return null;
  const raw = String(parentId);
  if (isUuid(raw)) return raw.toLowerCase();
  try {
    const { typename, id } = decodeGlobalID(raw);
    if (typename === 'Comment' && isUuid(id)) return id.toLowerCase();
  } catch {
    // not a global id either
  }
  throw new ValidationError('Invalid comment', [{ path: 'parentId', message: "must be a comment's uuid or id" }]);
}

builder.queryFields((t) => ({
  comments: t.withAuth({ viewer: true }).prismaConnection({
    type: 'Comment',
    cursor: 'uuid',
    description: 'Comments on one resource, oldest first (a flat list: build threads from parentUuid and depth). Deleted ones are left out.',
    args: {
      resourceType: t.arg.string({ required: true }),
      resourceUuid: t.arg({ type: 'UUID', required: true }),
    },
    resolve: async (query, _root, args, ctx) => {
      await assertCommentsQueryable(ctx);
      return ctx.db.comment.findMany({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: {
          resourceType: args.resourceType,
          resourceUuid: args.resourceUuid,
          status: { not: 'deleted' },
          ...commentReadableWhere(ctx.viewer),
        },
        orderBy: [{ insertedAt: 'asc' }, { uuid: 'asc' }],
      });
    },
  }),
  comment: t.withAuth({ viewer: true }).prismaField({
    type: 'Comment',
    nullable: true,
    args: { uuid: t.arg({ type: 'UUID', required: true }) },
    resolve: async (query, _root, { uuid }, ctx) => {
      await assertCommentsQueryable(ctx);
      return ctx.db.comment.findFirst({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: { uuid, ...commentReadableWhere(ctx.viewer) },
      });
    },
  }),
}));

export const loadComment = (ctx: Context, query: object, uuid: string) =>
  reread('Comment', ctx.db.comment.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid } }));

builder.mutationFields((t) => ({
  createComment: t.withAuth({ viewer: true }).prismaField({
    type: 'Comment',
    description: 'Comments on a resource (any signed-in user), optionally replying to `parentId` and attaching files.',
    errors: { types: [ValidationError, NotFoundError, CommentsDisabledError, AttachmentsDisabledError, TooManyAttachmentsError, FileTooLargeError] },
    args: { input: t.arg({ type: CreateCommentInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const comment = await ctx.services.comments.create(ctx.viewer, {
        resourceType: input.resourceType,
        resourceUuid: input.resourceUuid,
        body: input.body,
        parentUuid: parentUuidOf(input.parentId),
        attachments: input.attachments,
      });
      return loadComment(ctx, query, comment.uuid);
    },
  }),
  updateComment: t.prismaField({
    type: 'Comment',
    description: "Replaces a comment's body (its author or an admin).",
    authScopes: (_root, { input }, ctx) => commentScopes(ctx, input.uuid),
    errors: { types: [ValidationError, NotFoundError, CommentsDisabledError] },
    args: { input: t.arg({ type: UpdateCommentInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const comment = await ctx.services.comments.update(input);
      return loadComment(ctx, query, comment.uuid);
    },
  }),
  deleteComment: t.field({
    type: 'UUID',
    description: 'Deletes a comment (its author or an admin): replies stay, its attachments are removed. Returns its uuid.',
    authScopes: (_root, { input }, ctx) => commentScopes(ctx, input.uuid),
    errors: { types: [NotFoundError, CommentsDisabledError] },
    args: { input: t.arg({ type: DeleteCommentInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.comments.remove(input.uuid),
  }),
}));
