import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import type { Mail, Mailer } from '../../src/modules/mail/mailer.js';
import { graphql } from '../gql/index.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';

const ChangePasswordDocument = graphql(`
  mutation PasswordChange($input: ChangePasswordInput!) {
    changePassword(input: $input) {
      __typename
      ... on MutationChangePasswordSuccess { data { token user { uuid } } }
      ... on Error { message code }
      ... on RateLimitedError { retryAfterSeconds }
      ... on ValidationError { issues { path message } }
    }
  }
`);

const RequestResetDocument = graphql(`
  mutation PasswordRequestReset($input: RequestPasswordResetInput!) {
    requestPasswordReset(input: $input) { __typename }
  }
`);

const ResetDocument = graphql(`
  mutation PasswordReset($input: ResetPasswordInput!) {
    resetPassword(input: $input) {
      __typename
      ... on Error { code }
    }
  }
`);

const RequestMagicLinkDocument = graphql(`
  mutation PasswordRequestMagicLink($input: RequestMagicLinkInput!) {
    requestMagicLink(input: $input) { __typename }
  }
`);

const LoginDocument = graphql(`
  mutation PasswordLogin($input: LoginInput!) {
    login(input: $input) {
      __typename
      ... on MutationLoginSuccess { data { token } }
      ... on Error { code }
    }
  }
`);

const MeDocument = graphql(`
  query PasswordMe {
    me { uuid }
  }
`);

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(backends)('password change and reset on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  const mails: Mail[] = [];

  async function login(email: string, password: string): Promise<string | null> {
    const result = await execute(app, LoginDocument, { input: { email, password } });
    const payload = result.data?.login;
    return payload?.__typename === 'MutationLoginSuccess' ? payload.data.token : null;
  }

  const me = async (token: string) => (await execute(app, MeDocument, {}, bearer(token))).data?.me?.uuid ?? null;

  /** A user with two sessions (register + login) and a pending reset and magic link. */
  async function userWithTokens(): Promise<TestUser & { otherSession: string }> {
    const user = await signUp(app);
    const otherSession = (await login(user.email, user.password)) ?? '';
    await execute(app, RequestResetDocument, { input: { email: user.email } });
    await execute(app, RequestMagicLinkDocument, { input: { email: user.email } });
    expect(await db.userToken.count({ where: { userUuid: user.uuid } })).toBeGreaterThanOrEqual(4);
    return { ...user, otherSession };
  }

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    const mailer: Mailer = {
      async send(mail) {
        mails.push(mail);
      },
    };
    app = createTestApp(backend, { mailer });
    await signUp(app);
  });
  afterAll(() => backend.close());

  test('changing the password ends every session and deletes every token; the new session works', async () => {
    const user = await userWithTokens();
    expect(await me(user.token)).toBe(user.uuid);
    expect(await me(user.otherSession)).toBe(user.uuid);

    const result = await execute(
      app,
      ChangePasswordDocument,
      { input: { currentPassword: user.password, newPassword: 'a new password 42' } },
      user.headers,
    );
    const payload = result.data?.changePassword;
    if (payload?.__typename !== 'MutationChangePasswordSuccess') throw new Error(JSON.stringify(result));
    expect(payload.data.user.uuid).toBe(user.uuid);

    expect(await me(user.token)).toBeNull();
    expect(await me(user.otherSession)).toBeNull();
    expect(await me(payload.data.token)).toBe(user.uuid);
    const left = await db.userToken.findMany({ where: { userUuid: user.uuid } });
    expect(left.map((t) => t.context)).toEqual(['session']);
    expect(await login(user.email, user.password)).toBeNull();
    expect(await login(user.email, 'a new password 42')).not.toBeNull();
  });

  test('resetting the password ends every session and deletes every token', async () => {
    const user = await userWithTokens();
    const mail = mails.filter((m) => m.to === user.email && m.text.includes('/users/reset-password/')).at(-1);
    const token = /\/users\/reset-password\/([A-Za-z0-9_-]{43})/.exec(mail?.text ?? '')?.[1] ?? '';
    const reset = await execute(app, ResetDocument, { input: { token, password: 'reset to this one' } });
    expect(reset.data?.resetPassword.__typename).toBe('MutationResetPasswordSuccess');
    expect(await me(user.token)).toBeNull();
    expect(await me(user.otherSession)).toBeNull();
    expect(await db.userToken.count({ where: { userUuid: user.uuid } })).toBe(0);
    expect(await login(user.email, 'reset to this one')).not.toBeNull();
  });

  test('a wrong current password, the same password or a bad new one changes nothing', async () => {
    const user = await userWithTokens();
    const hashBefore = (await db.user.findUniqueOrThrow({ where: { uuid: user.uuid } })).hashedPassword;
    const tokensBefore = await db.userToken.findMany({ where: { userUuid: user.uuid }, orderBy: { uuid: 'asc' } });
    const attempt = (currentPassword: string, newPassword: string) =>
      execute(app, ChangePasswordDocument, { input: { currentPassword, newPassword } }, user.headers).then((r) => r.data?.changePassword);

    expect(await attempt('not my password', 'a new password 42')).toMatchObject({
      __typename: 'InvalidCredentialsError',
      code: 'INVALID_CREDENTIALS',
    });
    expect(await attempt(user.password, user.password)).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ path: 'newPassword', message: 'must differ from the current password' }],
    });
    // NFD and NFC spellings are the same password
    expect(await attempt(user.password, user.password.normalize('NFD'))).toMatchObject({ __typename: 'ValidationError' });
    for (const bad of ['', 'short', '1234567', 'x'.repeat(73), '€'.repeat(25), '😀'.repeat(19), 'bell\u0007password']) {
      expect(await attempt(user.password, bad), JSON.stringify(bad)).toMatchObject({
        __typename: 'ValidationError',
        issues: [expect.objectContaining({ path: 'newPassword' })],
      });
    }
    expect((await db.user.findUniqueOrThrow({ where: { uuid: user.uuid } })).hashedPassword).toBe(hashBefore);
    expect(await db.userToken.findMany({ where: { userUuid: user.uuid }, orderBy: { uuid: 'asc' } })).toEqual(tokensBefore);
    expect(await me(user.token)).toBe(user.uuid);
  });

  test('a 72-byte unicode password is accepted and signs in', async () => {
    const user = await signUp(app);
    const password = `${'€'.repeat(24)}`; // 72 bytes, 24 characters
    const result = await execute(app, ChangePasswordDocument, { input: { currentPassword: user.password, newPassword: password } }, user.headers);
    expect(result.data?.changePassword.__typename).toBe('MutationChangePasswordSuccess');
    expect(await login(user.email, password)).not.toBeNull();
  });

  test('anonymous callers are refused', async () => {
    const result = await execute(app, ChangePasswordDocument, { input: { currentPassword: 'whatever 1', newPassword: 'whatever 2' } });
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('guessing the current password is rate limited with retryAfterSeconds', async () => {
    const user = await signUp(app);
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) {
      const result = await execute(
        app,
        ChangePasswordDocument,
        { input: { currentPassword: `wrong guess ${i}`, newPassword: 'a new password 42' } },
        user.headers,
      );
      const payload = result.data?.changePassword;
      answers.push(payload?.__typename ?? 'none');
      if (payload?.__typename === 'RateLimitedError') {
        expect(payload.retryAfterSeconds).toBeGreaterThan(0);
        expect(payload.retryAfterSeconds).toBeLessThanOrEqual(60);
      }
    }
    expect(answers).toEqual([...Array(5).fill('InvalidCredentialsError'), 'RateLimitedError']);
    // even the right password waits for the window
    const right = await execute(app, ChangePasswordDocument, { input: { currentPassword: user.password, newPassword: 'a new password 42' } }, user.headers);
    expect(right.data?.changePassword.__typename).toBe('RateLimitedError');
    expect(await me(user.token)).toBe(user.uuid);
  });
});
