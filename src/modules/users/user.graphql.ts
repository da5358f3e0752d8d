import { builder } from '../../graphql/builder.js';
import type { Context } from '../../graphql/context.js';

/** Private fields of a user: readable by that user and by admins only (FORBIDDEN for anyone else). */
export const selfOrAdmin = (user: { uuid: string }, _args: unknown, ctx: Context) =>
  ctx.authenticatedNow.has(user.uuid) || (ctx.viewer !== null && (ctx.viewer.uuid === user.uuid || ctx.viewer.isAdmin));
import { selectingSomething } from '../../graphql/query.js';
import { RoleRef } from '../roles/role.graphql.js';

export const UserRef = builder.prismaNode('User', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    email: t.exposeString('email', { authScopes: selfOrAdmin }),
    username: t.exposeString('username', { nullable: true }),
    firstName: t.exposeString('firstName', { nullable: true }),
    lastName: t.exposeString('lastName', { nullable: true }),
    isActive: t.exposeBoolean('isActive'),
    confirmedAt: t.expose('confirmedAt', { type: 'DateTime', nullable: true }),
    userTimezone: t.exposeString('userTimezone', { nullable: true }),
    customFields: t.expose('customFields', { type: 'JSON', nullable: true, authScopes: selfOrAdmin }),
    registrationCountry: t.exposeString('registrationCountry', { nullable: true, authScopes: selfOrAdmin }),
    registrationRegion: t.exposeString('registrationRegion', { nullable: true, authScopes: selfOrAdmin }),
    registrationCity: t.exposeString('registrationCity', { nullable: true, authScopes: selfOrAdmin }),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    /** Active role assignments, loaded with the user in the same query. */
    roles: t.field({
      type: [RoleRef],
      select: { roleAssignments: { where: { isActive: true }, include: { role: true } } },
      resolve: (user) => user.roleAssignments.map((a) => a.role),
    }),
    files: t.relatedConnection('files', {
      description:
        "The user's files, newest first, without those in the trash (as `files` lists them by default; `files(status: \"trashed\")` lists those). For the user and admins only (FORBIDDEN otherwise).",
      cursor: 'uuid',
      nullable: true,
      authScopes: selfOrAdmin,
      query: () => ({ where: { systemManaged: false, status: { not: 'trashed' } }, orderBy: { uuid: 'desc' } }),
    }),
  }),
});

builder.queryFields((t) => ({
  me: t.prismaField({
    type: 'User',
    nullable: true,
    description: 'The signed-in user; null when anonymous.',
    resolve: (query, _root, _args, ctx) =>
      ctx.viewer ? ctx.db.user.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: ctx.viewer.uuid } }) : null,
  }),
  users: t.withAuth({ admin: true }).prismaConnection({
    type: 'User',
    cursor: 'uuid',
    resolve: (query, _root, _args, ctx) => ctx.db.user.findMany({ ...selectingSomething(query), relationLoadStrategy: 'join', orderBy: { uuid: 'desc' } }),
  }),
}));
