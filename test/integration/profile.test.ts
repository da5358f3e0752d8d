import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { graphql } from '../gql/index.js';
import { createTestApp, grantRole, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';

const UpdateProfile = graphql(`
  mutation ProfileUpdate($input: UpdateProfileInput!) {
    updateProfile(input: $input) {
      __typename
      ... on MutationUpdateProfileSuccess { data { uuid firstName lastName username userTimezone } }
      ... on ValidationError { code issues { path message } }
      ... on NotFoundError { code }
    }
  }
`);

const SetField = graphql(`
  mutation ProfileSetField($input: SetCustomFieldInput!) {
    setCustomField(input: $input) {
      __typename
      ... on MutationSetCustomFieldSuccess { data { customFields } }
      ... on ValidationError { issues { path } }
      ... on NotFoundError { code }
    }
  }
`);

const DeleteField = graphql(`
  mutation ProfileDeleteField($input: DeleteCustomFieldInput!) {
    deleteCustomField(input: $input) {
      __typename
      ... on MutationDeleteCustomFieldSuccess { data { customFields } }
    }
  }
`);

const ReadField = graphql(`
  query ProfileReadField($key: String!) {
    me { customFields customField(key: $key) }
  }
`);

describe.each(backends)('profile and custom fields on %s', (_name, open) => {
  let backend: Backend;
  let app: App;
  let owner: TestUser;
  let admin: TestUser;
  beforeAll(async () => {
    backend = await open();
    app = createTestApp(backend);
    owner = await signUp(app);
    admin = await signUp(app);
    await grantRole(backend.database.prisma, admin.uuid, 'Admin');
  });
  afterAll(() => backend.close());

  test('a user edits their own names, username and time zone; null clears', async () => {
    const user = await signUp(app);
    const username = `Nick_${randomUUID().slice(0, 6)}`;
    const r = await execute(app, UpdateProfile, { input: { firstName: '  Ülle ', lastName: 'Dœ', username, userTimezone: '+05:45' } }, user.headers);
    expect(r.data?.updateProfile).toEqual({
      __typename: 'MutationUpdateProfileSuccess',
      data: { uuid: user.uuid, firstName: 'Ülle', lastName: 'Dœ', username, userTimezone: '+05:45' },
    });
    const cleared = await execute(app, UpdateProfile, { input: { firstName: null, userTimezone: '' } }, user.headers);
    expect(cleared.data?.updateProfile).toMatchObject({ data: { firstName: null, lastName: 'Dœ', userTimezone: null } });
    const iana = await execute(app, UpdateProfile, { input: { userTimezone: 'America/Argentina/Buenos_Aires' } }, user.headers);
    expect(iana.data?.updateProfile).toMatchObject({ data: { userTimezone: 'America/Argentina/Buenos_Aires' } });
  });

  test.each([
    ['bad time zone', { userTimezone: 'Mars/Base' }, 'userTimezone'],
    ['offset out of range', { userTimezone: '+15:00' }, 'userTimezone'],
    ['short username', { username: 'ab' }, 'username'],
    ['empty username', { username: '' }, 'username'],
    ['oversize name', { firstName: 'x'.repeat(101) }, 'firstName'],
    ['control character', { lastName: 'a\u0007b' }, 'lastName'],
  ])('bad input (%s) is refused and changes nothing', async (_name, input, path) => {
    const user = await signUp(app);
    const before = await backend.database.prisma.user.findUniqueOrThrow({ where: { uuid: user.uuid } });
    const r = await execute(app, UpdateProfile, { input }, user.headers);
    expect(r.data?.updateProfile).toMatchObject({ __typename: 'ValidationError', issues: [{ path }] });
    expect(await backend.database.prisma.user.findUniqueOrThrow({ where: { uuid: user.uuid } })).toEqual(before);
  });

  test('a taken username (in any case) is refused', async () => {
    const a = await signUp(app, { username: `Taken_${randomUUID().slice(0, 6)}` });
    const b = await signUp(app);
    const row = await backend.database.prisma.user.findUniqueOrThrow({ where: { uuid: a.uuid } });
    const r = await execute(app, UpdateProfile, { input: { username: row.username!.toUpperCase() } }, b.headers);
    expect(r.data?.updateProfile).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'username', message: 'has already been taken' }] });
  });

  test('only admins edit other users, and that is audited', async () => {
    const target = await signUp(app);
    const other = await signUp(app);
    const byUser = await execute(app, UpdateProfile, { input: { userUuid: target.uuid, firstName: 'Hijack' } }, other.headers);
    expect(byUser.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await execute(app, UpdateProfile, { input: { firstName: 'Anon' } });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const byAdmin = await execute(app, UpdateProfile, { input: { userUuid: target.uuid, firstName: 'Fixed' } }, admin.headers);
    expect(byAdmin.data?.updateProfile).toMatchObject({ data: { firstName: 'Fixed' } });
    const audit = await backend.database.prisma.auditLog.findMany({ where: { targetUserUuid: target.uuid } });
    expect(audit).toMatchObject([{ action: 'user_updated', adminUserUuid: admin.uuid, metadata: { fields: ['firstName'] } }]);
    const missing = await execute(app, UpdateProfile, { input: { userUuid: randomUUID(), firstName: 'x' } }, owner.headers);
    expect(missing.data?.updateProfile.__typename).toBe('NotFoundError');
  });

  test('authorization matrix: anonymous refused; users edit only themselves; Admin and Owner edit anyone', async () => {
    const target = await signUp(app);
    const plain = await signUp(app);
    const callers = { anonymous: {}, user: plain.headers, admin: admin.headers, owner: owner.headers };
    const expected = { anonymous: 'UNAUTHENTICATED', user: 'FORBIDDEN', admin: 'ok', owner: 'ok' };
    for (const [who, headers] of Object.entries(callers)) {
      const outcomes = [
        await execute(app, UpdateProfile, { input: { userUuid: target.uuid, lastName: who } }, headers),
        await execute(app, SetField, { input: { userUuid: target.uuid, key: 'by', value: who } }, headers),
        await execute(app, DeleteField, { input: { userUuid: target.uuid, key: 'by' } }, headers),
      ].map((r) => (r.errors ? r.errors[0]?.extensions?.code : 'ok'));
      expect(outcomes, who).toEqual(Array(3).fill(expected[who as keyof typeof expected]));
    }
    const row = await backend.database.prisma.user.findUniqueOrThrow({ where: { uuid: target.uuid } });
    expect(row.lastName).toBe('owner');
  });

  test('custom fields: set, read one key, delete; bad keys refused', async () => {
    const user = await signUp(app);
    await execute(app, SetField, { input: { key: 'nickname', value: 'Bob' } }, user.headers);
    const set = await execute(app, SetField, { input: { key: 'prefs', value: { theme: 'dark', sizes: [1, 2] } } }, user.headers);
    expect(set.data?.setCustomField).toMatchObject({ data: { customFields: { nickname: 'Bob', prefs: { theme: 'dark', sizes: [1, 2] } } } });
    const read = await execute(app, ReadField, { key: 'prefs' }, user.headers);
    expect(read.data?.me?.customField).toEqual({ theme: 'dark', sizes: [1, 2] });
    expect((await execute(app, ReadField, { key: 'absent' }, user.headers)).data?.me?.customField).toBeNull();
    const deleted = await execute(app, DeleteField, { input: { key: 'nickname' } }, user.headers);
    expect(deleted.data?.deleteCustomField).toMatchObject({ data: { customFields: { prefs: { theme: 'dark', sizes: [1, 2] } } } });
    for (const input of [
      { key: 'Bad Key', value: 1 },
      { key: 'big', value: 'x'.repeat(20_000) },
      { key: 'big', value: 'a\u0000b' }, // jsonb holds no NUL
      { key: 'big', value: { nested: ['\ud800'] } },
    ]) {
      const r = await execute(app, SetField, { input }, user.headers);
      expect(r.errors, JSON.stringify(input)).toBeUndefined();
      expect(r.data?.setCustomField.__typename).toBe('ValidationError');
    }
    // a key no field can have deletes nothing (the database would refuse a NUL)
    const none = await execute(app, DeleteField, { input: { key: 'bad\u0000key' } }, user.headers);
    expect(none.errors).toBeUndefined();
    expect(none.data?.deleteCustomField).toMatchObject({ data: { customFields: { prefs: { theme: 'dark', sizes: [1, 2] } } } });
    expect((await execute(app, ReadField, { key: 'big' }, user.headers)).data?.me?.customFields).toEqual({ prefs: { theme: 'dark', sizes: [1, 2] } });
  });

  test('concurrent writes of different keys all survive', async () => {
    const user = await signUp(app);
    await Promise.all(
      Array.from({ length: 15 }, (_, i) => execute(app, SetField, { input: { key: `k${i}`, value: i } }, user.headers)),
    );
    const row = await backend.database.prisma.user.findUniqueOrThrow({ where: { uuid: user.uuid } });
    expect(Object.keys(row.customFields as object)).toHaveLength(15);
  });

  test('10 simultaneous new keys on a user holding 98 leave exactly 100 keys', async () => {
    const user = await signUp(app);
    const fields = Object.fromEntries(Array.from({ length: 98 }, (_, i) => [`k${i}`, i]));
    await backend.database.prisma.user.update({ where: { uuid: user.uuid }, data: { customFields: fields } });

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => execute(app, SetField, { input: { key: `extra${i}`, value: i } }, user.headers)),
    );
    const answers = results.map((r) => r.data?.setCustomField.__typename);
    expect(answers.filter((a) => a === 'MutationSetCustomFieldSuccess')).toHaveLength(2);
    expect(answers.filter((a) => a === 'ValidationError')).toHaveLength(8);
    const row = await backend.database.prisma.user.findUniqueOrThrow({ where: { uuid: user.uuid } });
    expect(Object.keys(row.customFields as object)).toHaveLength(100);
  });
});
