import { builder } from '../../graphql/builder.js';
import { selectingSomething } from '../../graphql/query.js';

builder.prismaNode('AuditLog', {
  id: { field: 'uuid' },
  description: 'One admin action on a user or role (who, on whom, from where); rows are never changed.',
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    action: t.exposeString('action'),
    adminUserUuid: t.expose('adminUserUuid', { type: 'UUID', description: 'The admin who acted.' }),
    targetUserUuid: t.expose('targetUserUuid', { type: 'UUID', description: 'The user acted on.' }),
    ipAddress: t.exposeString('ipAddress', { nullable: true }),
    userAgent: t.exposeString('userAgent', { nullable: true }),
    metadata: t.expose('metadata', { type: 'JSON' }),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  auditLogs: t.withAuth({ admin: true }).prismaConnection({
    type: 'AuditLog',
    cursor: 'uuid',
    description: 'The audit trail, newest first (admins); optionally only rows about one user and/or of one action.',
    args: { targetUserUuid: t.arg({ type: 'UUID' }), action: t.arg.string() },
    resolve: (query, _root, args, ctx) =>
      ctx.db.auditLog.findMany({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: {
          ...(args.targetUserUuid ? { targetUserUuid: args.targetUserUuid } : {}),
          ...(args.action ? { action: args.action } : {}),
        },
        orderBy: [{ insertedAt: 'desc' }, { uuid: 'desc' }],
      }),
  }),
}));
