import { GraphQLError } from 'graphql';
import { builder } from '../../graphql/builder.js';
import { reread, selectingSomething } from '../../graphql/query.js';
import type { Context } from '../../graphql/context.js';
import { ErrorInterface, exposeError } from '../../graphql/error-types.js';
import { NotFoundError, ValidationError } from '../../graphql/errors.js';
import { WILDCARD_PERMISSION } from '../auth/domain/viewer.js';
import { OWNER_ROLE, isOwnerOnly, type RoleAction } from './domain/role-rules.js';
import {
  LastOwnerError,
  OwnerRoleProtectedError,
  RoleInUseError,
  SystemRoleProtectedError,
} from './role.errors.js';
import type { AdminAction, RoleSelector } from './role.service.js';

exposeError(OwnerRoleProtectedError);
exposeError(SystemRoleProtectedError);
exposeError(LastOwnerError);

builder.objectType(RoleInUseError, {
  name: 'RoleInUseError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RoleInUseError,
  fields: (t) => ({ activeAssignments: t.exposeInt('activeAssignments') }),
});

export const RoleRef = builder.prismaNode('Role', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    isSystemRole: t.exposeBoolean('isSystemRole'),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    permissions: t.field({
      type: ['String'],
      description: 'Granted permission keys, sorted; `*` grants everything. The Owner holds `*` in code, whatever its rows.',
      select: { permissions: { select: { moduleKey: true }, orderBy: { moduleKey: 'asc' } } },
      resolve: (role) => (role.name === OWNER_ROLE ? [WILDCARD_PERMISSION] : role.permissions.map((p) => p.moduleKey)),
    }),
  }),
});

builder.prismaNode('RoleAssignment', {
  id: { field: 'uuid' },
  description: 'A user holding a role. Removing the role switches `isActive` off; assigning it again switches it back on.',
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    user: t.relation('user'),
    role: t.relation('role'),
    assignedBy: t.relation('assignedBy', { nullable: true, description: 'Who last granted it; null for automatic grants.' }),
    assignedAt: t.expose('assignedAt', { type: 'DateTime' }),
    isActive: t.exposeBoolean('isActive'),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  roles: t.withAuth({ viewer: true }).prismaConnection({
    type: 'Role',
    cursor: 'uuid',
    resolve: (query, _root, _args, ctx) => ctx.db.role.findMany({ ...selectingSomething(query), relationLoadStrategy: 'join', orderBy: { uuid: 'asc' } }),
  }),
}));


/** The actor of an admin mutation; its scope check has already required a signed-in viewer. */
export function adminAction(ctx: Context): AdminAction {
  if (!ctx.viewer) throw new GraphQLError('Sign in required', { extensions: { code: 'UNAUTHENTICATED' } });
  return { actor: ctx.viewer, client: ctx.client };
}

/** Role management: an Admin (or Owner) whose role still holds the `users` key. */
const ROLE_MANAGERS = { $all: { admin: true, permission: 'users' } } as const;

/**
 * Scopes for `action` on the role `selector` names: Owner-only cases need `owner`, the rest `ROLE_MANAGERS`.
 * An unknown role needs `ROLE_MANAGERS`, so only role managers learn that it does not exist.
 */
async function roleScopes(ctx: Context, action: RoleAction, selector: RoleSelector, isSystemRole?: boolean | null) {
  if (!ctx.viewer) return false;
  const role = await ctx.services.roles.findRole(selector);
  if (!role) return ROLE_MANAGERS;
  const makesSystemRole = isSystemRole === true && !role.isSystemRole;
  return isOwnerOnly(action, role.name, { makesSystemRole }) ? { owner: true } : ROLE_MANAGERS;
}

const CreateRoleInput = builder.inputType('CreateRoleInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '1–50 characters, unique ignoring case.' }),
    description: t.string({ description: 'At most 500 characters.' }),
  }),
});

const UpdateRoleInput = builder.inputType('UpdateRoleInput', {
  description: 'Omitted fields stay as they are; `description: null` clears the description.',
  fields: (t) => ({
    roleUuid: t.field({ type: 'UUID', required: true }),
    name: t.string(),
    description: t.string(),
    isSystemRole: t.boolean({ description: 'true makes a custom role a system role (Owner only; cannot be undone).' }),
  }),
});

const DeleteRoleInput = builder.inputType('DeleteRoleInput', {
  description: 'Name the role by exactly one of `roleUuid` and `roleName`.',
  fields: (t) => ({ roleUuid: t.field({ type: 'UUID' }), roleName: t.string() }),
});

const SetRolePermissionsInput = builder.inputType('SetRolePermissionsInput', {
  description: 'Name the role by exactly one of `roleUuid` and `roleName`; `permissions` replaces its keys.',
  fields: (t) => ({
    roleUuid: t.field({ type: 'UUID' }),
    roleName: t.string(),
    permissions: t.stringList({
      required: true,
      description: 'Keys like `users` or `posts.publish` (bases of sub-keys are added), or `*`; at most 50.',
    }),
  }),
});

const AssignRoleInput = builder.inputType('AssignRoleInput', {
  description: 'Name the role by exactly one of `roleUuid` and `roleName`.',
  fields: (t) => ({ userUuid: t.field({ type: 'UUID', required: true }), roleUuid: t.field({ type: 'UUID' }), roleName: t.string() }),
});

const RemoveRoleInput = builder.inputType('RemoveRoleInput', {
  description: 'Name the role by exactly one of `roleUuid` and `roleName`.',
  fields: (t) => ({ userUuid: t.field({ type: 'UUID', required: true }), roleUuid: t.field({ type: 'UUID' }), roleName: t.string() }),
});

builder.mutationFields((t) => ({
  createRole: t.prismaField({
    type: 'Role',
    description: 'Creates a custom role with no permissions.',
    authScopes: (_root, _args, ctx) => (ctx.viewer ? ROLE_MANAGERS : false),
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: CreateRoleInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const role = await ctx.services.roles.createRole(input, adminAction(ctx));
      return reread('Role', ctx.db.role.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: role.uuid } }));
    },
  }),
  updateRole: t.prismaField({
    type: 'Role',
    description: 'Renames or describes a role. System roles keep their name and stay system roles.',
    authScopes: (_root, { input }, ctx) =>
      roleScopes(ctx, 'update', { roleUuid: input.roleUuid }, input.isSystemRole),
    errors: { types: [ValidationError, NotFoundError, SystemRoleProtectedError] },
    args: { input: t.arg({ type: UpdateRoleInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const role = await ctx.services.roles.updateRole(input, adminAction(ctx));
      return reread('Role', ctx.db.role.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: role.uuid } }));
    },
  }),
  deleteRole: t.field({
    type: 'UUID',
    description: "Deletes a custom role nobody holds; returns the deleted role's uuid.",
    authScopes: (_root, { input }, ctx) => roleScopes(ctx, 'delete', input),
    errors: { types: [ValidationError, NotFoundError, SystemRoleProtectedError, RoleInUseError] },
    args: { input: t.arg({ type: DeleteRoleInput, required: true }) },
    resolve: async (_root, { input }, ctx) => (await ctx.services.roles.deleteRole(input, adminAction(ctx))).uuid,
  }),
  setRolePermissions: t.prismaField({
    type: 'Role',
    description: "Replaces a role's permission keys. The Owner role cannot be edited; only an Owner edits Admin's keys.",
    authScopes: (_root, { input }, ctx) => roleScopes(ctx, 'edit_permissions', input),
    errors: { types: [ValidationError, NotFoundError, OwnerRoleProtectedError] },
    args: { input: t.arg({ type: SetRolePermissionsInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const role = await ctx.services.roles.setRolePermissions(input, input.permissions, adminAction(ctx));
      return reread('Role', ctx.db.role.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: role.uuid } }));
    },
  }),
  assignRole: t.prismaField({
    type: 'RoleAssignment',
    description: 'Gives a user a role (idempotent). Owner is never assigned by hand; only an Owner grants Admin.',
    authScopes: (_root, { input }, ctx) => roleScopes(ctx, 'assign', input),
    errors: { types: [ValidationError, NotFoundError, OwnerRoleProtectedError] },
    args: { input: t.arg({ type: AssignRoleInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const assignment = await ctx.services.roles.assignRole(input, adminAction(ctx));
      return reread('Role assignment', ctx.db.roleAssignment.findUnique({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: { uuid: assignment.uuid },
      }));
    },
  }),
  removeRole: t.prismaField({
    type: 'RoleAssignment',
    description:
      'Takes a role away (the assignment is kept, inactive). Only an Owner removes Admin or Owner; ' +
      'the last active Owner keeps it.',
    authScopes: (_root, { input }, ctx) => roleScopes(ctx, 'remove', input),
    errors: { types: [ValidationError, NotFoundError, LastOwnerError] },
    args: { input: t.arg({ type: RemoveRoleInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const assignment = await ctx.services.roles.removeRole(input, adminAction(ctx));
      return reread('Role assignment', ctx.db.roleAssignment.findUnique({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: { uuid: assignment.uuid },
      }));
    },
  }),
}));
