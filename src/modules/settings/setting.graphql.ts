import { builder } from '../../graphql/builder.js';

builder.prismaNode('Setting', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    key: t.exposeString('key'),
    value: t.exposeString('value', { nullable: true }),
    valueJson: t.expose('valueJson', { type: 'JSON', nullable: true }),
    module: t.exposeString('module', { nullable: true }),
    dateAdded: t.expose('dateAdded', { type: 'DateTime' }),
    dateUpdated: t.expose('dateUpdated', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  setting: t.withAuth({ admin: true }).prismaField({
    type: 'Setting',
    nullable: true,
    args: { key: t.arg.string({ required: true }) },
    resolve: (query, _root, { key }, ctx) => ctx.db.setting.findUnique({ ...query, relationLoadStrategy: 'join', where: { key } }),
  }),
  settings: t.withAuth({ admin: true }).prismaConnection({
    type: 'Setting',
    cursor: 'uuid',
    args: { module: t.arg.string() },
    resolve: (query, _root, args, ctx) =>
      ctx.db.setting.findMany({
        ...query,
        relationLoadStrategy: 'join',
        where: args.module ? { module: args.module } : {},
        orderBy: { uuid: 'asc' },
      }),
  }),
}));
