import { builder } from '../../graphql/builder.js';
import { selfOrAdmin } from './user.graphql.js';
import { selectingSomething } from '../../graphql/query.js';
import { NotFoundError, ValidationError } from '../../graphql/errors.js';

const UpdateProfileInput = builder.inputType('UpdateProfileInput', {
  description: 'Fields left out are unchanged; null or "" clears names and time zone.',
  fields: (t) => ({
    userUuid: t.field({ type: 'UUID', description: 'Another user (admins only); default: the viewer.' }),
    firstName: t.string(),
    lastName: t.string(),
    username: t.string(),
    userTimezone: t.string({ description: 'IANA zone ("Europe/Tallinn") or UTC offset ("+05:45", "-3.5").' }),
  }),
});

const SetCustomFieldInput = builder.inputType('SetCustomFieldInput', {
  fields: (t) => ({
    userUuid: t.field({ type: 'UUID' }),
    key: t.string({ required: true }),
    value: t.field({ type: 'JSON', required: true }),
  }),
});

const DeleteCustomFieldInput = builder.inputType('DeleteCustomFieldInput', {
  fields: (t) => ({
    userUuid: t.field({ type: 'UUID' }),
    key: t.string({ required: true }),
  }),
});

builder.prismaObjectField('User', 'customField', (t) =>
  t.field({
    type: 'JSON',
    nullable: true,
    description: 'One key of customFields (null when absent).',
    authScopes: selfOrAdmin,
    args: { key: t.arg.string({ required: true }) },
    select: { customFields: true },
    resolve: (user, { key }) => {
      const fields = (user.customFields as Record<string, unknown> | null) ?? {};
      return Object.hasOwn(fields, key) ? fields[key] : null;
    },
  }),
);

builder.mutationFields((t) => ({
  updateProfile: t.withAuth({ viewer: true }).prismaField({
    type: 'User',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: UpdateProfileInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const uuid = await ctx.services.profile.updateProfile({ viewer: ctx.viewer, client: ctx.client }, input);
      return ctx.db.user.findUniqueOrThrow({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid } });
    },
  }),
  setCustomField: t.withAuth({ viewer: true }).prismaField({
    type: 'User',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: SetCustomFieldInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const uuid = await ctx.services.profile.setCustomField({ viewer: ctx.viewer, client: ctx.client }, input);
      return ctx.db.user.findUniqueOrThrow({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid } });
    },
  }),
  deleteCustomField: t.withAuth({ viewer: true }).prismaField({
    type: 'User',
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: DeleteCustomFieldInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const uuid = await ctx.services.profile.deleteCustomField({ viewer: ctx.viewer, client: ctx.client }, input);
      return ctx.db.user.findUniqueOrThrow({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid } });
    },
  }),
}));
