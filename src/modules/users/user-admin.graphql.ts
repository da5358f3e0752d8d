import { builder } from '../../graphql/builder.js';
import type { Context } from '../../graphql/context.js';
import { exposeError } from '../../graphql/error-types.js';
import { NotFoundError } from '../../graphql/errors.js';
import { LastOwnerError } from '../roles/role.errors.js';
import { selectingSomething } from '../../graphql/query.js';
import { adminAction } from '../roles/role.graphql.js';
import { CannotDeactivateSelfError } from './user-admin.errors.js';

exposeError(CannotDeactivateSelfError);

/** Holders of the `users` key manage accounts; an Owner's or Admin's account only an Owner. */
async function statusScopes(ctx: Context, userUuid: string) {
  if (!ctx.viewer) return false;
  return (await ctx.services.userAdmin.isPrivileged(userUuid)) ? { owner: true } : { permission: 'users' };
}

const ActivateUserInput = builder.inputType('ActivateUserInput', {
  fields: (t) => ({ userUuid: t.field({ type: 'UUID', required: true }) }),
});

const DeactivateUserInput = builder.inputType('DeactivateUserInput', {
  fields: (t) => ({ userUuid: t.field({ type: 'UUID', required: true }) }),
});

builder.mutationFields((t) => ({
  activateUser: t.prismaField({
    type: 'User',
    description: 'Switches an account back on (idempotent).',
    authScopes: (_root, { input }, ctx) => statusScopes(ctx, input.userUuid),
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: ActivateUserInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      await ctx.services.userAdmin.activateUser(input.userUuid, adminAction(ctx));
      return ctx.db.user.findUniqueOrThrow({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: { uuid: input.userUuid },
      });
    },
  }),
  deactivateUser: t.prismaField({
    type: 'User',
    description:
      'Switches an account off and ends all its sessions at once. The last active Owner stays; you cannot switch yourself off ' +
      'unless you are an Owner and another active Owner remains.',
    authScopes: (_root, { input }, ctx) => statusScopes(ctx, input.userUuid),
    errors: { types: [NotFoundError, LastOwnerError, CannotDeactivateSelfError] },
    args: { input: t.arg({ type: DeactivateUserInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      await ctx.services.userAdmin.deactivateUser(input.userUuid, adminAction(ctx));
      return ctx.db.user.findUniqueOrThrow({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: { uuid: input.userUuid },
      });
    },
  }),
}));
