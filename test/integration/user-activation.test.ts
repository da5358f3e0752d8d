import { randomUUID } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { graphql } from '../gql/index.js';
import { createTestApp, grantRole, signUp, uniqueEmail, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';

const DeactivateDocument = graphql(`
  mutation ActivationDeactivate($input: DeactivateUserInput!) {
    deactivateUser(input: $input) {
      __typename
      ... on MutationDeactivateUserSuccess { data { uuid isActive } }
      ... on Error { message code }
    }
  }
`);

const ActivateDocument = graphql(`
  mutation ActivationActivate($input: ActivateUserInput!) {
    activateUser(input: $input) {
      __typename
      ... on MutationActivateUserSuccess { data { uuid isActive } }
      ... on Error { message code }
    }
  }
`);

const BareDocument = graphql(`
  mutation ActivationBare($off: DeactivateUserInput!, $on: ActivateUserInput!) {
    deactivateUser(input: $off) { __typename }
    activateUser(input: $on) { __typename }
  }
`);

const MeDocument = graphql(`
  query ActivationMe {
    me { uuid }
  }
`);

const LoginDocument = graphql(`
  mutation ActivationLogin($input: LoginInput!) {
    login(input: $input) {
      __typename
      ... on MutationLoginSuccess { data { token } }
      ... on Error { code }
    }
  }
`);

const RemoveDocument = graphql(`
  mutation ActivationRemoveOwner($input: RemoveRoleInput!) {
    removeRole(input: $input) {
      __typename
      ... on Error { code }
    }
  }
`);

const CLIENT = { 'x-forwarded-for': '198.51.100.9', 'user-agent': 'activation-test/1.0' };

type Result = ExecutionResult<Record<string, unknown>>;

/** What a mutation answered: the union member's typename, or the top-level error code. */
function outcome(result: Result, field: string): string {
  if (result.errors?.length) {
    const code = result.errors[0]?.extensions?.code;
    return typeof code === 'string' ? code : `error: ${result.errors[0]?.message}`;
  }
  const value = result.data?.[field] as { __typename?: string } | null | undefined;
  return value?.__typename ?? 'missing';
}

/** Accounts, sessions, assignments and audit rows: what (de)activation could change. */
async function snapshot(db: Db): Promise<string> {
  const [users, sessions, assignments, audits] = await Promise.all([
    db.user.findMany({ orderBy: { uuid: 'asc' }, select: { uuid: true, isActive: true } }),
    db.userToken.findMany({ orderBy: { uuid: 'asc' }, select: { uuid: true } }),
    db.roleAssignment.findMany({ orderBy: { uuid: 'asc' } }),
    db.auditLog.count(),
  ]);
  return JSON.stringify({ users, sessions, assignments, audits });
}

async function createUserRow(db: Db, roleName?: string) {
  const user = await db.user.create({ data: { email: uniqueEmail('status'), hashedPassword: 'not-a-hash' } });
  if (roleName) await grantRole(db, user.uuid, roleName);
  return user;
}

/** A custom role holding `keys`, granted to `userUuid`. */
async function grantKeys(db: Db, userUuid: string, keys: string[]): Promise<void> {
  const role = await db.role.create({ data: { name: `Keys ${randomUUID().slice(0, 8)}` } });
  await db.rolePermission.createMany({ data: keys.map((moduleKey) => ({ roleUuid: role.uuid, moduleKey })) });
  await grantRole(db, userUuid, role.name);
}

const sessionsOf = (db: Db, userUuid: string) => db.userToken.count({ where: { userUuid, context: 'session' } });

async function activeOwnerUuids(db: Db): Promise<string[]> {
  const rows = await db.roleAssignment.findMany({
    where: { isActive: true, role: { name: 'Owner' }, user: { isActive: true } },
    select: { userUuid: true },
  });
  return rows.map((r) => r.userUuid);
}

type Actor = 'anonymous' | 'user' | 'helper' | 'admin' | 'owner';
const ACTORS: Actor[] = ['anonymous', 'user', 'helper', 'admin', 'owner'];

describe.each(backends)('activateUser / deactivateUser on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  /** Holds the `users` key through a custom role, without being an Admin. */
  let helper: TestUser;

  const headers = (who: Actor): Record<string, string> => {
    const user = { anonymous: null, user: member, helper, admin, owner }[who];
    return user ? { ...user.headers, ...CLIENT } : CLIENT;
  };

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    app = createTestApp(backend);
    owner = await signUp(app);
    admin = await signUp(app);
    await grantRole(db, admin.uuid, 'Admin');
    member = await signUp(app);
    helper = await signUp(app);
    await grantKeys(db, helper.uuid, ['users']);
  });
  afterAll(() => backend.close());

  test('deactivation signs the user out at once, blocks login, and is audited; activation lets them back in', async () => {
    const target = await signUp(app);
    const second = await execute(app, LoginDocument, { input: { email: target.email, password: target.password } });
    expect(outcome(second, 'login')).toBe('MutationLoginSuccess');
    expect(await sessionsOf(db, target.uuid)).toBe(2);
    expect((await execute(app, MeDocument, {}, target.headers)).data?.me?.uuid).toBe(target.uuid);

    const result = await execute(app, DeactivateDocument, { input: { userUuid: target.uuid } }, headers('admin'));
    expect(result.data?.deactivateUser).toEqual({ __typename: 'MutationDeactivateUserSuccess', data: { uuid: target.uuid, isActive: false } });
    expect(await sessionsOf(db, target.uuid)).toBe(0);
    const stale = await execute(app, MeDocument, {}, target.headers);
    expect(stale.errors).toBeUndefined();
    expect(stale.data?.me).toBeNull();
    const login = await execute(app, LoginDocument, { input: { email: target.email, password: target.password } });
    expect(login.data?.login).toMatchObject({ __typename: 'AccountDisabledError', code: 'ACCOUNT_DISABLED' });

    const [audit] = await db.auditLog.findMany({ where: { action: 'user_deactivated', targetUserUuid: target.uuid } });
    expect(audit).toMatchObject({
      adminUserUuid: admin.uuid,
      ipAddress: '198.51.100.9',
      userAgent: 'activation-test/1.0',
      metadata: { changed: true, sessionsRevoked: 2, roles: ['User'] },
    });

    const again = await execute(app, DeactivateDocument, { input: { userUuid: target.uuid } }, headers('admin'));
    expect(outcome(again, 'deactivateUser')).toBe('MutationDeactivateUserSuccess');
    const audits = await db.auditLog.findMany({ where: { action: 'user_deactivated', targetUserUuid: target.uuid }, orderBy: { insertedAt: 'asc' } });
    expect(audits.map((a) => (a.metadata as { changed: boolean }).changed)).toEqual([true, false]);

    const activated = await execute(app, ActivateDocument, { input: { userUuid: target.uuid } }, headers('admin'));
    expect(activated.data?.activateUser).toEqual({ __typename: 'MutationActivateUserSuccess', data: { uuid: target.uuid, isActive: true } });
    expect((await execute(app, MeDocument, {}, target.headers)).data?.me).toBeNull(); // old sessions stay gone
    const back = await execute(app, LoginDocument, { input: { email: target.email, password: target.password } });
    expect(outcome(back, 'login')).toBe('MutationLoginSuccess');
    const [activation] = await db.auditLog.findMany({ where: { action: 'user_activated', targetUserUuid: target.uuid } });
    expect(activation).toMatchObject({ adminUserUuid: admin.uuid, ipAddress: '198.51.100.9', metadata: { changed: true } });

    const twice = await execute(app, ActivateDocument, { input: { userUuid: target.uuid } }, headers('admin'));
    expect(outcome(twice, 'activateUser')).toBe('MutationActivateUserSuccess');
  });

  test('the last active Owner cannot be deactivated, not even by themselves', async () => {
    const before = await snapshot(db);
    const self = await execute(app, DeactivateDocument, { input: { userUuid: owner.uuid } }, headers('owner'));
    expect(self.data?.deactivateUser).toMatchObject({ __typename: 'LastOwnerError', code: 'LAST_OWNER' });
    const byAdmin = await execute(app, DeactivateDocument, { input: { userUuid: owner.uuid } }, headers('admin'));
    expect(outcome(byAdmin, 'deactivateUser')).toBe('FORBIDDEN');
    expect(await snapshot(db)).toBe(before);
    expect((await execute(app, MeDocument, {}, owner.headers)).data?.me?.uuid).toBe(owner.uuid);
  });

  test('an Owner deactivates another Owner while one remains; an Owner may step down when another remains', async () => {
    const second = await signUp(app);
    await grantRole(db, second.uuid, 'Owner');
    const off = await execute(app, DeactivateDocument, { input: { userUuid: second.uuid } }, headers('owner'));
    expect(outcome(off, 'deactivateUser')).toBe('MutationDeactivateUserSuccess');
    expect((await execute(app, MeDocument, {}, second.headers)).data?.me).toBeNull();
    expect(await activeOwnerUuids(db)).toEqual([owner.uuid]);

    await execute(app, ActivateDocument, { input: { userUuid: second.uuid } }, headers('owner'));
    const session = await execute(app, LoginDocument, { input: { email: second.email, password: second.password } });
    const token = session.data?.login.__typename === 'MutationLoginSuccess' ? session.data.login.data.token : '';
    const stepDown = await execute(app, DeactivateDocument, { input: { userUuid: second.uuid } }, { authorization: `Bearer ${token}`, ...CLIENT });
    expect(outcome(stepDown, 'deactivateUser')).toBe('MutationDeactivateUserSuccess');
    expect(await activeOwnerUuids(db)).toEqual([owner.uuid]);
  });

  test('self-deactivation is refused to everyone but an Owner with another active Owner', async () => {
    const before = await snapshot(db);
    const byHelper = await execute(app, DeactivateDocument, { input: { userUuid: helper.uuid } }, headers('helper'));
    expect(byHelper.data?.deactivateUser).toMatchObject({ __typename: 'CannotDeactivateSelfError', code: 'CANNOT_DEACTIVATE_SELF' });
    const byAdmin = await execute(app, DeactivateDocument, { input: { userUuid: admin.uuid } }, headers('admin'));
    expect(outcome(byAdmin, 'deactivateUser')).toBe('FORBIDDEN'); // an Admin's account is the Owner's business
    const byMember = await execute(app, DeactivateDocument, { input: { userUuid: member.uuid } }, headers('user'));
    expect(outcome(byMember, 'deactivateUser')).toBe('FORBIDDEN');
    expect(await snapshot(db)).toBe(before);
  });

  test('a role holding * passes the `users` permission check', async () => {
    const holder = await signUp(app);
    await grantKeys(db, holder.uuid, ['*']);
    const target = await createUserRow(db);
    const result = await execute(app, DeactivateDocument, { input: { userUuid: target.uuid } }, { ...holder.headers, ...CLIENT });
    expect(outcome(result, 'deactivateUser')).toBe('MutationDeactivateUserSuccess');
  });

  test('a client asking only for __typename of each success gets it', async () => {
    const target = await createUserRow(db);
    const input = { userUuid: target.uuid };
    const result = await execute(app, BareDocument, { off: input, on: input }, headers('admin'));
    expect(result).toEqual({
      data: { deactivateUser: { __typename: 'MutationDeactivateUserSuccess' }, activateUser: { __typename: 'MutationActivateUserSuccess' } },
    });
  });

  test.each<[string, () => string, string]>([
    ['unknown uuid', () => randomUUID(), 'NotFoundError'],
    ['nil uuid', () => '00000000-0000-0000-0000-000000000000', 'NotFoundError'],
  ])('refuses %s with a typed error and changes nothing', async (_label, uuid, expected) => {
    const before = await snapshot(db);
    const deactivated = await execute(app, DeactivateDocument, { input: { userUuid: uuid() } }, headers('admin'));
    expect(outcome(deactivated, 'deactivateUser')).toBe(expected);
    const activated = await execute(app, ActivateDocument, { input: { userUuid: uuid() } }, headers('admin'));
    expect(outcome(activated, 'activateUser')).toBe(expected);
    expect(await snapshot(db)).toBe(before);
  });

  test.each([
    ['not a uuid', 'not-a-uuid'],
    ['empty', ''],
    ['uuid with trailing junk', `${randomUUID()}x`],
    ['unicode digits', '٠٠٠٠٠٠٠٠-٠٠٠٠-٠٠٠٠-٠٠٠٠-٠٠٠٠٠٠٠٠٠٠٠٠'],
  ])('refuses a malformed uuid (%s) before any resolver runs', async (_label, userUuid) => {
    const before = await snapshot(db);
    const result = await execute(app, DeactivateDocument, { input: { userUuid } }, headers('admin'));
    expect(result.errors?.[0]?.message).toMatch(/userUuid|UUID/);
    expect(result.data ?? null).toBeNull();
    expect(await snapshot(db)).toBe(before);
  });

  describe('authorization matrix', () => {
    type Target = 'user' | 'admin' | 'owner';
    /** Who may change the status of an account holding the target role. */
    const ALLOWED: Record<Target, Actor[]> = {
      user: ['helper', 'admin', 'owner'],
      admin: ['owner'],
      owner: ['owner'],
    };
    const ROLE_OF: Record<Target, string> = { user: 'User', admin: 'Admin', owner: 'Owner' };
    const rows = (['deactivateUser', 'activateUser'] as const).flatMap((field) =>
      (['user', 'admin', 'owner'] as const).flatMap((target) => ACTORS.map((who) => [field, target, who] as const)),
    );

    test.each(rows)('%s of a %s account as %s', async (field, target, who) => {
      const account = await createUserRow(db, ROLE_OF[target]);
      if (field === 'activateUser') await db.user.update({ where: { uuid: account.uuid }, data: { isActive: false } });
      const before = await snapshot(db);
      const result =
        field === 'deactivateUser'
          ? await execute(app, DeactivateDocument, { input: { userUuid: account.uuid } }, headers(who))
          : await execute(app, ActivateDocument, { input: { userUuid: account.uuid } }, headers(who));
      const allowed = ALLOWED[target].includes(who);
      const expected = allowed
        ? `Mutation${field === 'deactivateUser' ? 'DeactivateUser' : 'ActivateUser'}Success`
        : who === 'anonymous'
          ? 'UNAUTHENTICATED'
          : 'FORBIDDEN';
      expect(outcome(result, field)).toBe(expected);
      const row = await db.user.findUniqueOrThrow({ where: { uuid: account.uuid } });
      expect(row.isActive).toBe(allowed ? field === 'activateUser' : field !== 'activateUser');
      if (!allowed) expect(await snapshot(db)).toBe(before);
    });
  });
});

describe('deactivation under concurrent requests (postgres)', () => {
  const openPostgres = backends.find(([name]) => name === 'postgres')?.[1];
  if (!openPostgres) throw new Error('the postgres backend is missing');
  let backend: Backend;
  let db: Db;
  let app: App;

  beforeAll(async () => {
    backend = await openPostgres();
    db = backend.database.prisma;
    app = createTestApp(backend);
  });
  afterAll(() => backend.close());

  test('10 simultaneous deactivations of the last Owner are all refused and the Owner stays active', async () => {
    const owner = await signUp(app); // first account: the Owner
    const admin = await signUp(app);
    await grantRole(db, admin.uuid, 'Admin');
    const before = await snapshot(db);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        execute(app, DeactivateDocument, { input: { userUuid: owner.uuid } }, { ...(i % 2 ? admin : owner).headers, ...CLIENT }).then((r) =>
          outcome(r, 'deactivateUser'),
        ),
      ),
    );
    expect(answers.filter((a) => a === 'LastOwnerError')).toHaveLength(5);
    expect(answers.filter((a) => a === 'FORBIDDEN')).toHaveLength(5);
    expect(await activeOwnerUuids(db)).toEqual([owner.uuid]);
    expect(await snapshot(db)).toBe(before);
  });

  test('two Owners deactivating and un-Owning each other at once: exactly one active Owner remains', async () => {
    const [first] = await activeOwnerUuids(db);
    const a = await signUp(app);
    const b = await signUp(app);
    await grantRole(db, a.uuid, 'Owner');
    await grantRole(db, b.uuid, 'Owner');
    // the file's first Owner steps out of the way (another Owner remains), leaving a and b
    await db.roleAssignment.updateMany({ where: { userUuid: first, role: { name: 'Owner' } }, data: { isActive: false } });
    expect((await activeOwnerUuids(db)).sort()).toEqual([a.uuid, b.uuid].sort());

    const attempts = Array.from({ length: 10 }, (_, i) => {
      const [actor, target] = i % 2 === 0 ? [a, b] : [b, a];
      const call =
        i % 4 < 2
          ? execute(app, DeactivateDocument, { input: { userUuid: target.uuid } }, { ...actor.headers, ...CLIENT }).then((r) =>
              outcome(r, 'deactivateUser'),
            )
          : execute(app, RemoveDocument, { input: { userUuid: target.uuid, roleName: 'Owner' } }, { ...actor.headers, ...CLIENT }).then(
              (r) => outcome(r, 'removeRole'),
            );
      return call;
    });
    const answers = await Promise.all(attempts);
    const survivors = await activeOwnerUuids(db);
    expect(survivors).toHaveLength(1);
    expect([a.uuid, b.uuid]).toContain(survivors[0]);
    for (const answer of answers) {
      expect(['MutationDeactivateUserSuccess', 'MutationRemoveRoleSuccess', 'LastOwnerError', 'FORBIDDEN', 'UNAUTHENTICATED']).toContain(answer);
    }
  });
});
