import { GraphQLError } from 'graphql';
import { resolveCursorConnection } from '@pothos/plugin-relay';
import { builder } from '../../graphql/builder.js';
import { ValidationError } from '../../graphql/errors.js';
import type { SettingRecord } from './setting.service.js';
import './user-timezone.graphql.js';

export const SettingRef = builder.node(builder.objectRef<SettingRecord>('Setting'), {
  description:
    'A setting: a stored row, or (isDefault: true) the built-in default of a key that has no row, which has no uuid or dates. ' +
    'The Relay id comes from the key, so it stays the same when a default is first stored.',
  id: { resolve: (s) => s.key },
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'isDefault' in value && 'key' in value,
  fields: (t) => ({
    uuid: t.field({ type: 'UUID', nullable: true, description: 'The row key; null for a default.', resolve: (s) => s.uuid }),
    key: t.exposeString('key'),
    value: t.exposeString('value', { nullable: true, description: 'The string value; null when the row holds JSON.' }),
    valueJson: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The JSON value; null when the row holds a string.',
      resolve: (s) => s.valueJson,
    }),
    module: t.exposeString('module', { nullable: true }),
    isDefault: t.exposeBoolean('isDefault', { description: 'True when no row exists and this is the built-in default.' }),
    dateAdded: t.expose('dateAdded', { type: 'DateTime', nullable: true }),
    dateUpdated: t.expose('dateUpdated', { type: 'DateTime', nullable: true }),
  }),
});

/** Larger than the usual 100 so an admin screen can load every setting (a few hundred at most) in one page. */
const SETTINGS_PAGE_MAX = 500;

const encodeCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');
/** A cursor this list issued holds a key; anything else (it would page from an arbitrary point) is refused. */
function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (key === '' || encodeCursor(key) !== cursor) {
    throw new GraphQLError('Invalid cursor', { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return key;
}

/** Keyset pagination over the (small, fully loaded) list sorted by key. */
function pageByKey(records: readonly SettingRecord[], page: { before?: string; after?: string; limit: number; inverted: boolean }) {
  const after = decodeCursor(page.after);
  const before = decodeCursor(page.before);
  const window = records.filter((r) => (after === undefined || r.key > after) && (before === undefined || r.key < before));
  return page.inverted ? window.reverse().slice(0, page.limit) : window.slice(0, page.limit);
}

builder.queryFields((t) => ({
  setting: t.field({
    type: SettingRef,
    nullable: true,
    description:
      'One setting by key: the stored row, else the built-in default (isDefault: true), else null. Open to everyone; ' +
      'restricted keys (secrets) are null for anyone but admins.',
    args: { key: t.arg.string({ required: true }) },
    resolve: (_root, { key }, ctx) => ctx.services.settings.find(key, { includeRestricted: ctx.viewer?.isAdmin ?? false }),
  }),
  settings: t.connection({
    type: SettingRef,
    description:
      'Settings sorted by key (up to 500 per page): stored rows of `module` when given; without it, every stored row plus ' +
      'the defaults of keys with no row. Open to everyone; restricted keys (secrets) are left out for anyone but admins.',
    args: { module: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      const records = await ctx.services.settings.list({ module: args.module, includeRestricted: ctx.viewer?.isAdmin ?? false });
      return resolveCursorConnection<SettingRecord[]>(
        { args, maxSize: SETTINGS_PAGE_MAX, toCursor: (r) => encodeCursor(r.key) },
        (page) => pageByKey(records, page),
      );
    },
  }),
}));

const UpdateSettingInput = builder.inputType('UpdateSettingInput', {
  description: 'Exactly one of value and valueJson (a JSON object). module: set when given, kept when absent.',
  fields: (t) => ({
    key: t.string({ required: true }),
    value: t.string(),
    valueJson: t.field({ type: 'JSON' }),
    module: t.string(),
  }),
});

builder.mutationFields((t) => ({
  updateSetting: t.withAuth({ admin: true }).field({
    type: SettingRef,
    description: 'Creates or replaces one setting (admins). Other server processes drop their cached copy at once.',
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: UpdateSettingInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.settings.update(input),
  }),
}));
