import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { graphql } from '../gql/index.js';
import { createTestApp, signUp, uniqueEmail } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';

const Login = graphql(`
  mutation SessionsLogin($input: LoginInput!) {
    login(input: $input) {
      __typename
      ... on MutationLoginSuccess { data { token user { uuid } } }
      ... on Error { code message }
      ... on RateLimitedError { retryAfterSeconds }
    }
  }
`);

const Me = graphql(`
  query SessionsMe {
    me { uuid email roles { name } }
  }
`);

const Logout = graphql(`
  mutation SessionsLogout {
    logout
  }
`);

const bearer = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });

describe.each(backends)('sessions on %s', (_name, open) => {
  let backend: Backend;
  let app: App;
  beforeAll(async () => {
    backend = await open();
    app = createTestApp(backend);
    await signUp(app); // the Owner, so later accounts are ordinary users
  });
  afterAll(() => backend.close());

  const login = (email: string, password: string, headers?: Record<string, string>) =>
    execute(app, Login, { input: { email, password } }, headers);

  test('login returns a session that identifies the user; logout ends only that session', async () => {
    const user = await signUp(app);
    const a = await login(user.email.toUpperCase(), user.password);
    const b = await login(user.email, user.password);
    if (a.data?.login.__typename !== 'MutationLoginSuccess' || b.data?.login.__typename !== 'MutationLoginSuccess') {
      throw new Error(JSON.stringify([a, b]));
    }
    const tokenA = a.data.login.data.token;
    const tokenB = b.data.login.data.token;
    expect((await execute(app, Me, {}, bearer(tokenA))).data?.me).toMatchObject({ uuid: user.uuid, roles: [{ name: 'User' }] });
    expect((await execute(app, Logout, {}, bearer(tokenA))).data?.logout).toBe(true);
    expect((await execute(app, Me, {}, bearer(tokenA))).data?.me).toBeNull();
    expect((await execute(app, Me, {}, bearer(tokenB))).data?.me?.uuid).toBe(user.uuid);
    expect((await execute(app, Logout)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('a wrong password and an unknown email get the identical answer', async () => {
    const user = await signUp(app);
    const wrong = await login(user.email, 'not the password');
    const unknown = await login(uniqueEmail('ghost'), 'not the password');
    expect(wrong).toEqual(unknown);
    expect(wrong.data?.login).toEqual({ __typename: 'InvalidCredentialsError', code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' });
    expect((await login('not an email', 'x')).data?.login.__typename).toBe('InvalidCredentialsError');
    // an address text cannot hold is just another unknown one
    expect(await login(`${user.email}\u0000`, 'not the password')).toEqual(unknown);
  });

  test('a deactivated account cannot log in and its sessions stop working', async () => {
    const user = await signUp(app);
    await backend.database.prisma.user.update({ where: { uuid: user.uuid }, data: { isActive: false } });
    expect((await login(user.email, user.password)).data?.login.__typename).toBe('AccountDisabledError');
    expect((await execute(app, Me, {}, user.headers)).data?.me).toBeNull();
  });

  test('login is rate limited per email and per IP', async () => {
    const user = await signUp(app);
    const attempts = [];
    for (let i = 0; i < 6; i++) attempts.push(await login(user.email, 'wrong password'));
    expect(attempts.slice(0, 5).every((r) => r.data?.login.__typename === 'InvalidCredentialsError')).toBe(true);
    const limited = attempts[5]!.data?.login;
    expect(limited?.__typename).toBe('RateLimitedError');
    if (limited?.__typename === 'RateLimitedError') {
      expect(limited.retryAfterSeconds).toBeGreaterThan(0);
      expect(limited.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    // even the right password is refused inside the window
    expect((await login(user.email, user.password)).data?.login.__typename).toBe('RateLimitedError');

    const ip = { 'x-forwarded-for': '192.0.2.77' };
    const byIp = [];
    for (let i = 0; i < 6; i++) byIp.push(await login(uniqueEmail('scan'), 'whatever', ip));
    expect(byIp.map((r) => r.data?.login.__typename).at(-1)).toBe('RateLimitedError');
  });

  test('rate limits are shared by every server process on the database', async () => {
    const user = await signUp(app);
    const second = createTestApp(backend);
    const results = [];
    for (let i = 0; i < 6; i++) {
      const target = i % 2 === 0 ? app : second;
      results.push(await execute(target, Login, { input: { email: user.email, password: 'wrong password' } }));
    }
    expect(results.map((r) => r.data?.login.__typename)).toEqual([
      ...Array(5).fill('InvalidCredentialsError'),
      'RateLimitedError',
    ]);
  });

  test('sessions are stored as SHA-256 only, and expire after 60 days', async () => {
    const user = await signUp(app);
    const rows = await backend.database.sql.query<{ token: Buffer; context: string }>(
      `SELECT token, context FROM phoenix_kit_users_tokens WHERE user_uuid = $1 AND context = 'session'`, [user.uuid],
    );
    const raw = Buffer.from(user.token);
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.token).equals(createHash('sha256').update(user.token).digest())).toBe(true);
    const dump = JSON.stringify(await backend.database.sql.query(`SELECT * FROM phoenix_kit_users_tokens`));
    expect(dump.includes(user.token)).toBe(false);
    expect(Buffer.from(rows[0]!.token).includes(raw)).toBe(false);

    await backend.database.sql.query(
      `UPDATE phoenix_kit_users_tokens SET inserted_at = now() - interval '59 days' WHERE user_uuid = $1 AND context = 'session'`, [user.uuid],
    );
    expect((await execute(app, Me, {}, user.headers)).data?.me?.uuid).toBe(user.uuid);
    await backend.database.sql.query(
      `UPDATE phoenix_kit_users_tokens SET inserted_at = now() - interval '61 days' WHERE user_uuid = $1 AND context = 'session'`, [user.uuid],
    );
    expect((await execute(app, Me, {}, user.headers)).data?.me).toBeNull();
  });

  test.each([
    ['garbage', 'Bearer not-a-token'],
    ['well-formed but unknown', `Bearer ${'A'.repeat(43)}`],
    ['wrong scheme', 'Basic dXNlcjpwYXNz'],
    ['empty', ''],
  ])('a %s authorization header is anonymous', async (_name, authorization) => {
    expect((await execute(app, Me, {}, { authorization })).data?.me).toBeNull();
  });

  test('fingerprint: a changed IP or User-Agent is allowed and logged by default, refused in strict mode', async () => {
    const at = { 'x-forwarded-for': '198.51.100.1', 'user-agent': 'Browser A' };
    const user = await signUp(app);
    const session = await login(user.email, user.password, at);
    if (session.data?.login.__typename !== 'MutationLoginSuccess') throw new Error(JSON.stringify(session));
    const token = session.data.login.data.token;
    const stored = await backend.database.prisma.userToken.findFirstOrThrow({ where: { userUuid: user.uuid, ipAddress: '198.51.100.1' } });
    expect(stored.userAgentHash).toBe(createHash('sha256').update('Browser A').digest('hex'));

    const moved = { 'x-forwarded-for': '198.51.100.2', 'user-agent': 'Browser A' };
    const otherBrowser = { 'x-forwarded-for': '198.51.100.1', 'user-agent': 'Browser B' };
    const both = { 'x-forwarded-for': '198.51.100.2', 'user-agent': 'Browser B' };
    for (const headers of [at, moved, otherBrowser, both]) {
      expect((await execute(app, Me, {}, bearer(token, headers))).data?.me?.uuid).toBe(user.uuid);
    }
    const strict = createTestApp(backend, { env: { SESSION_FINGERPRINT_STRICT: 'true' } });
    expect((await execute(strict, Me, {}, bearer(token, at))).data?.me?.uuid).toBe(user.uuid);
    for (const headers of [moved, otherBrowser, both]) {
      expect((await execute(strict, Me, {}, bearer(token, headers))).data?.me).toBeNull();
    }
    // the setting turns strict mode on too
    await app.services.settings.update({ key: 'session_fingerprint_strict', value: 'true' });
    try {
      expect((await execute(app, Me, {}, bearer(token, moved))).data?.me).toBeNull();
    } finally {
      await app.services.settings.remove('session_fingerprint_strict');
    }
  });
});
