import { builder } from '../../graphql/builder.js';
import { selectingSomething } from '../../graphql/query.js';

builder.prismaNode('Entity', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    name: t.exposeString('name'),
    displayName: t.exposeString('displayName'),
    displayNamePlural: t.exposeString('displayNamePlural', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    icon: t.exposeString('icon', { nullable: true }),
    status: t.exposeString('status'),
    fieldsDefinition: t.expose('fieldsDefinition', { type: 'JSON' }),
    settings: t.expose('settings', { type: 'JSON', nullable: true }),
    createdByUuid: t.expose('createdByUuid', { type: 'UUID' }),
    position: t.exposeInt('position', { nullable: true }),
    dateCreated: t.expose('dateCreated', { type: 'DateTime' }),
    dateUpdated: t.expose('dateUpdated', { type: 'DateTime' }),
  }),
});

builder.prismaNode('EntityData', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    entity: t.relation('entity'),
    title: t.exposeString('title'),
    slug: t.exposeString('slug', { nullable: true }),
    status: t.exposeString('status'),
    data: t.expose('data', { type: 'JSON' }),
    metadata: t.expose('metadata', { type: 'JSON', nullable: true }),
    createdByUuid: t.expose('createdByUuid', { type: 'UUID', nullable: true }),
    position: t.exposeInt('position', { nullable: true }),
    parent: t.relation('parent', { nullable: true }),
    dateCreated: t.expose('dateCreated', { type: 'DateTime' }),
    dateUpdated: t.expose('dateUpdated', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  entities: t.withAuth({ viewer: true }).prismaConnection({
    type: 'Entity',
    cursor: 'uuid',
    resolve: (query, _root, _args, ctx) =>
      ctx.db.entity.findMany({ ...selectingSomething(query), relationLoadStrategy: 'join', orderBy: [{ position: 'asc' }, { uuid: 'asc' }] }),
  }),
  entityData: t.withAuth({ viewer: true }).prismaConnection({
    type: 'EntityData',
    cursor: 'uuid',
    args: { entity: t.arg.string({ required: true, description: 'Entity name' }) },
    resolve: (query, _root, args, ctx) =>
      ctx.db.entityData.findMany({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: { entity: { name: args.entity } },
        orderBy: [{ position: 'asc' }, { uuid: 'asc' }],
      }),
  }),
}));
