import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { App } from '../../src/app.js';
import type { Mail, Mailer } from '../../src/modules/mail/mailer.js';
import { graphql } from '../gql/index.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';

// Sign-in and password flows racing each other. The tests hold row or advisory locks on connections of their own so
// that the interleavings a busy server produces by chance happen every time; PGlite runs one transaction at a time,
// so they run on PostgreSQL only.

const Login = graphql(`
  mutation RacesLogin($input: LoginInput!) {
    login(input: $input) {
      __typename
      ... on MutationLoginSuccess { data { token } }
      ... on Error { code }
    }
  }
`);

const ChangePassword = graphql(`
  mutation RacesChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input) {
      __typename
      ... on MutationChangePasswordSuccess { data { token } }
      ... on Error { code }
    }
  }
`);

const Deactivate = graphql(`
  mutation RacesDeactivate($input: DeactivateUserInput!) {
    deactivateUser(input: $input) { __typename }
  }
`);

const Activate = graphql(`
  mutation RacesActivate($input: ActivateUserInput!) {
    activateUser(input: $input) { __typename }
  }
`);

const RequestMagicLink = graphql(`
  mutation RacesRequestMagicLink($input: RequestMagicLinkInput!) {
    requestMagicLink(input: $input) { __typename }
  }
`);

const LoginWithMagicLink = graphql(`
  mutation RacesLoginWithMagicLink($input: LoginWithMagicLinkInput!) {
    loginWithMagicLink(input: $input) {
      __typename
      ... on MutationLoginWithMagicLinkSuccess { data { token } }
    }
  }
`);

const Me = graphql(`
  query RacesMe {
    me { uuid }
  }
`);

const openPostgres = backends.find(([name]) => name === 'postgres')?.[1];
if (!openPostgres) throw new Error('the postgres backend is missing');

/** Sessions whose session insert waits (see the trigger below) while the test holds this advisory lock. */
const PAUSED_UA = 'paused-session-insert';
const PAUSE_LOCK = 424242;

describe('accounts under simultaneous requests (postgres)', () => {
  let backend: Backend;
  let app: App;
  let owner: TestUser;
  const mails: Mail[] = [];

  beforeAll(async () => {
    backend = await openPostgres();
    const mailer: Mailer = { send: async (mail) => void mails.push(mail) };
    app = createTestApp(backend, { mailer });
    owner = await signUp(app);
    const uaHash = createHash('sha256').update(PAUSED_UA, 'utf8').digest('hex');
    await backend.database.sql.query(`
      CREATE FUNCTION test_pause_session_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.context = 'session' AND NEW.user_agent_hash = '${uaHash}' THEN
          PERFORM pg_advisory_xact_lock_shared(${PAUSE_LOCK});
        END IF;
        RETURN NEW;
      END $$`);
    await backend.database.sql.query(`
      CREATE TRIGGER test_pause_session_insert BEFORE INSERT ON phoenix_kit_users_tokens
      FOR EACH ROW EXECUTE FUNCTION test_pause_session_insert()`);
  });
  afterAll(() => backend.close());

  /** A connection of its own (waiting requests may fill the app's small pool). */
  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: backend.database.url });
    await client.connect();
    return client;
  }

  /** Runs `statements` (taking locks) in a transaction of its own that stays open until `commit()`. */
  async function hold(...statements: string[]) {
    const client = await connect();
    await client.query('BEGIN');
    for (const statement of statements) await client.query(statement);
    return {
      query: (sql: string, params: unknown[] = []) => client.query(sql, params),
      commit: async () => {
        await client.query('COMMIT');
        await client.end();
      },
    };
  }

  /**
   * Waits until `n` sessions of this test's database (other test files share the server) wait for a lock, or until
   * `done` (when given) has settled.
   */
  async function untilWaiting(n: number, done?: Promise<unknown>) {
    let settled = false;
    done?.then(
      () => (settled = true),
      () => (settled = true),
    );
    const client = await connect();
    const waiting = async () =>
      (
        await client.query<{ n: number }>(
          `SELECT count(DISTINCT l.pid)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE NOT l.granted AND a.datname = current_database()`,
        )
      ).rows[0]!.n;
    try {
      await vi.waitFor(async () => settled || expect(await waiting()).toBeGreaterThanOrEqual(n), { timeout: 15_000, interval: 20 });
    } finally {
      await client.end();
    }
  }

  const login = (user: TestUser, headers: Record<string, string> = {}) =>
    execute(app, Login, { input: { email: user.email, password: user.password } }, headers).then((r) => r.data?.login);
  const magicLinks = (user: TestUser) =>
    mails.filter((m) => m.to === user.email).flatMap((m) => /\/users\/magic-link\/([A-Za-z0-9_-]{43})/.exec(m.text)?.[1] ?? []);

  /** Signs in with the password or a fresh magic link; the session's token, or the refusal. */
  async function signIn(how: 'login' | 'magic link', user: TestUser, headers: Record<string, string>) {
    if (how === 'login') {
      const payload = await login(user, headers);
      return payload?.__typename === 'MutationLoginSuccess' ? payload.data.token : payload?.__typename;
    }
    const payload = (await execute(app, LoginWithMagicLink, { input: { token: magicLinks(user).at(-1) ?? '' } }, headers)).data
      ?.loginWithMagicLink;
    return payload?.__typename === 'MutationLoginWithMagicLinkSuccess' ? payload.data.token : payload?.__typename;
  }
  const me = async (token: string) =>
    (await execute(app, Me, {}, { authorization: `Bearer ${token}`, 'user-agent': PAUSED_UA })).data?.me?.uuid ?? null;
  const sessionsOf = (user: TestUser) =>
    backend.database.prisma.userToken.count({ where: { userUuid: user.uuid, context: 'session' } });

  test.each([
    ['a password change', `UPDATE phoenix_kit_users SET hashed_password = 'changed meanwhile' WHERE uuid = $1`, 'InvalidCredentialsError'],
    ['a deactivation', `UPDATE phoenix_kit_users SET is_active = false WHERE uuid = $1`, 'AccountDisabledError'],
  ])('%s committed after a login checked the password refuses the login', async (_name, change, refusal) => {
    const user = await signUp(app);
    const row = await hold(`SELECT 1 FROM phoenix_kit_users WHERE uuid = '${user.uuid}' FOR UPDATE`);
    const answer = login(user);
    await untilWaiting(1); // the password was checked; storing the session waits for the row
    await row.query(change, [user.uuid]);
    await row.query(`DELETE FROM phoenix_kit_users_tokens WHERE user_uuid = $1 AND context = 'session'`, [user.uuid]);
    await row.commit();
    expect((await answer)?.__typename).toBe(refusal);
    expect(await sessionsOf(user)).toBe(0);
  });

  test.each([
    ['login', 'changePassword'],
    ['login', 'deactivateUser'],
    ['magic link', 'changePassword'],
    ['magic link', 'deactivateUser'],
  ] as const)(
    'a %s storing its session while %s runs is left with no working session',
    async (how, mutation) => {
      const user = await signUp(app);
      if (how === 'magic link') {
        await execute(app, RequestMagicLink, { input: { email: user.email } });
        await vi.waitFor(() => expect(magicLinks(user)).toHaveLength(1));
      }
      const pause = await hold(`SELECT pg_advisory_xact_lock(${PAUSE_LOCK})`);
      const answer = signIn(how, user, { 'user-agent': PAUSED_UA });
      await untilWaiting(1); // the sign-in is inside its session insert
      const changed =
        mutation === 'changePassword'
          ? execute(app, ChangePassword, { input: { currentPassword: user.password, newPassword: 'brand new secret 9' } }, user.headers).then(
              (r) => r.data?.changePassword.__typename,
            )
          : execute(app, Deactivate, { input: { userUuid: user.uuid } }, owner.headers).then((r) => r.data?.deactivateUser.__typename);
      // it waits for the sign-in's transaction and then ends its session too (it used to finish here, before that
      // session existed, which then outlived the change)
      await untilWaiting(2, changed);
      await pause.commit();
      expect(await changed).toMatch(/^Mutation.*Success$/);
      const signedIn = await answer;
      if (mutation === 'deactivateUser') {
        // activation restores no session
        expect((await execute(app, Activate, { input: { userUuid: user.uuid } }, owner.headers)).data?.activateUser.__typename).toBe(
          'MutationActivateUserSuccess',
        );
      }
      if (signedIn?.length === 43) expect(await me(signedIn)).toBeNull();
      else expect(['InvalidCredentialsError', 'InvalidTokenError', 'AccountDisabledError']).toContain(signedIn);
    },
  );

  test('two changePassword calls with the same current password: one succeeds, the other is refused', async () => {
    const user = await signUp(app);
    const row = await hold(`SELECT 1 FROM phoenix_kit_users WHERE uuid = '${user.uuid}' FOR UPDATE`);
    const answers = ['new password one 1', 'new password two 2'].map((newPassword) =>
      execute(app, ChangePassword, { input: { currentPassword: user.password, newPassword } }, user.headers).then(
        (r) => r.data?.changePassword,
      ),
    );
    await untilWaiting(2); // both checked the current password and wait to write
    await row.commit();
    const payloads = await Promise.all(answers);
    // in either order, the second call's currentPassword is no longer the account's
    expect(payloads.map((p) => p?.__typename).sort()).toEqual(['InvalidCredentialsError', 'MutationChangePasswordSuccess']);
    const winner = payloads.find((p) => p?.__typename === 'MutationChangePasswordSuccess');
    if (winner?.__typename !== 'MutationChangePasswordSuccess') throw new Error('no winner');
    expect(await me(winner.data.token)).toBe(user.uuid);
    expect(await sessionsOf(user)).toBe(1);
  });

  test('an account switched off while its password change hashes gets AccountDisabledError, and nothing changes', async () => {
    const user = await signUp(app);
    const before = await backend.database.prisma.user.findUniqueOrThrow({ where: { uuid: user.uuid } });
    const row = await hold(`SELECT 1 FROM phoenix_kit_users WHERE uuid = '${user.uuid}' FOR UPDATE`);
    const answer = execute(app, ChangePassword, { input: { currentPassword: user.password, newPassword: 'another password 3' } }, user.headers);
    await untilWaiting(1);
    // what deactivateUser commits: the account off, its sessions gone
    await row.query('UPDATE phoenix_kit_users SET is_active = false WHERE uuid = $1', [user.uuid]);
    await row.query(`DELETE FROM phoenix_kit_users_tokens WHERE user_uuid = $1 AND context = 'session'`, [user.uuid]);
    await row.commit();
    const result = await answer;
    expect(result.errors).toBeUndefined();
    expect(result.data?.changePassword).toMatchObject({ __typename: 'AccountDisabledError', code: 'ACCOUNT_DISABLED' });
    const after = await backend.database.prisma.user.findUniqueOrThrow({ where: { uuid: user.uuid } });
    expect(after.hashedPassword).toBe(before.hashedPassword);
    expect(await sessionsOf(user)).toBe(0);
  });

  test('3 simultaneous requestMagicLink calls leave exactly one working link', async () => {
    const user = await signUp(app);
    const row = await hold(`SELECT 1 FROM phoenix_kit_users WHERE uuid = '${user.uuid}' FOR UPDATE`);
    const answers = [1, 2, 3].map(() =>
      execute(app, RequestMagicLink, { input: { email: user.email } }).then((r) => r.data?.requestMagicLink.__typename),
    );
    await untilWaiting(3);
    await row.commit();
    expect(await Promise.all(answers)).toEqual(Array(3).fill('MutationRequestMagicLinkSuccess'));
    await vi.waitFor(() => expect(magicLinks(user)).toHaveLength(3)); // mails are sent without being awaited
    const tokens = magicLinks(user);
    const used = [];
    for (const token of tokens) {
      used.push((await execute(app, LoginWithMagicLink, { input: { token } })).data?.loginWithMagicLink.__typename);
    }
    expect(used.filter((u) => u === 'MutationLoginWithMagicLinkSuccess')).toHaveLength(1);
  });
});
