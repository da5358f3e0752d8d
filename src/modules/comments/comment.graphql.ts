import { builder } from '../../graphql/builder.js';

builder.prismaNode('Comment', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    resourceType: t.exposeString('resourceType'),
    resourceUuid: t.expose('resourceUuid', { type: 'UUID' }),
    user: t.relation('user', { nullable: true }),
    parent: t.relation('parent', { nullable: true }),
    depth: t.exposeInt('depth'),
    body: t.exposeString('body'),
    status: t.exposeString('status'),
    likeCount: t.exposeInt('likeCount'),
    dislikeCount: t.exposeInt('dislikeCount'),
    metadata: t.expose('metadata', { type: 'JSON' }),
    editedAt: t.expose('editedAt', { type: 'DateTime', nullable: true }),
    media: t.relation('media', { query: { orderBy: { position: 'asc' } } }),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaNode('CommentMedia', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    comment: t.relation('comment'),
    file: t.relation('file'),
    position: t.exposeInt('position'),
    caption: t.exposeString('caption', { nullable: true }),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});
