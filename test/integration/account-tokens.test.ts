import { createHash } from 'node:crypto';
import type { DocumentNode } from 'graphql';
import { print } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import type { Mail, Mailer } from '../../src/modules/mail/mailer.js';
import { graphql } from '../gql/index.js';
import { createTestApp, signUp, uniqueEmail, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';

const RequestConfirmationDocument = graphql(`
  mutation AccountTokensRequestConfirmation($input: RequestEmailConfirmationInput) {
    requestEmailConfirmation(input: $input) {
      __typename
      ... on MutationRequestEmailConfirmationSuccess { data }
      ... on Error { message code }
      ... on RateLimitedError { retryAfterSeconds }
      ... on ValidationError { issues { path message } }
    }
  }
`);

const ConfirmEmailDocument = graphql(`
  mutation AccountTokensConfirmEmail($input: ConfirmEmailInput!) {
    confirmEmail(input: $input) {
      __typename
      ... on MutationConfirmEmailSuccess { data { uuid email confirmedAt } }
      ... on Error { message code }
    }
  }
`);

const RequestResetDocument = graphql(`
  mutation AccountTokensRequestReset($input: RequestPasswordResetInput!) {
    requestPasswordReset(input: $input) {
      __typename
      ... on MutationRequestPasswordResetSuccess { data }
      ... on Error { message code }
      ... on RateLimitedError { retryAfterSeconds }
      ... on ValidationError { issues { path message } }
    }
  }
`);

const ResetPasswordDocument = graphql(`
  mutation AccountTokensResetPassword($input: ResetPasswordInput!) {
    resetPassword(input: $input) {
      __typename
      ... on MutationResetPasswordSuccess { data }
      ... on Error { message code }
      ... on ValidationError { issues { path message } }
    }
  }
`);

const RequestEmailChangeDocument = graphql(`
  mutation AccountTokensRequestEmailChange($input: RequestEmailChangeInput!) {
    requestEmailChange(input: $input) {
      __typename
      ... on MutationRequestEmailChangeSuccess { data }
      ... on Error { message code }
      ... on ValidationError { issues { path message } }
    }
  }
`);

const ConfirmEmailChangeDocument = graphql(`
  mutation AccountTokensConfirmEmailChange($input: ConfirmEmailChangeInput!) {
    confirmEmailChange(input: $input) {
      __typename
      ... on MutationConfirmEmailChangeSuccess { data { uuid email confirmedAt } }
      ... on Error { message code }
    }
  }
`);

const RequestMagicLinkDocument = graphql(`
  mutation AccountTokensRequestMagicLink($input: RequestMagicLinkInput!) {
    requestMagicLink(input: $input) {
      __typename
      ... on MutationRequestMagicLinkSuccess { data }
      ... on Error { message code }
      ... on RateLimitedError { retryAfterSeconds }
      ... on ValidationError { issues { path message } }
    }
  }
`);

const LoginWithMagicLinkDocument = graphql(`
  mutation AccountTokensLoginWithMagicLink($input: LoginWithMagicLinkInput!) {
    loginWithMagicLink(input: $input) {
      __typename
      ... on MutationLoginWithMagicLinkSuccess { data { token user { uuid email confirmedAt } } }
      ... on Error { message code }
    }
  }
`);

const RequestRegistrationDocument = graphql(`
  mutation AccountTokensRequestRegistration($input: RequestMagicLinkRegistrationInput!) {
    requestMagicLinkRegistration(input: $input) {
      __typename
      ... on MutationRequestMagicLinkRegistrationSuccess { data }
      ... on Error { message code }
      ... on RateLimitedError { retryAfterSeconds }
      ... on ValidationError { issues { path message } }
    }
  }
`);

const RegisterWithMagicLinkDocument = graphql(`
  mutation AccountTokensRegisterWithMagicLink($input: RegisterWithMagicLinkInput!) {
    registerWithMagicLink(input: $input) {
      __typename
      ... on MutationRegisterWithMagicLinkSuccess { data { token user { uuid email username confirmedAt roles { name } } } }
      ... on Error { message code }
      ... on ValidationError { issues { path message } }
    }
  }
`);

const LoginDocument = graphql(`
  mutation AccountTokensLogin($input: LoginInput!) {
    login(input: $input) {
      __typename
      ... on MutationLoginSuccess { data { token } }
      ... on Error { code }
    }
  }
`);

const MeDocument = graphql(`
  query AccountTokensMe {
    me { uuid email confirmedAt }
  }
`);

const TOKEN_IN_LINK = /\/users\/[a-z/-]+\/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;
const INVALID_TOKEN = { __typename: 'InvalidTokenError', code: 'INVALID_TOKEN', message: 'The link is invalid or has expired' };

const sha256 = (raw: string) => createHash('sha256').update(raw, 'utf8').digest();

/** A mailer that keeps what the app sends (the SMTP path has its own test below). */
function captureMail() {
  const sent: Mail[] = [];
  const mailer: Mailer = {
    async send(mail) {
      sent.push(mail);
    },
  };
  return { sent, mailer };
}

/** Every row of the tokens table and of the users table, as text, for "nothing changed" comparisons and scans. */
async function snapshot(db: Db) {
  const tokens = await db.$queryRaw<{ row: string }[]>`SELECT t::text AS row FROM phoenix_kit_users_tokens t ORDER BY uuid`;
  const users = await db.$queryRaw<{ row: string }[]>`SELECT u::text AS row FROM phoenix_kit_users u ORDER BY uuid`;
  return { tokens: tokens.map((r) => r.row), users: users.map((r) => r.row) };
}

/** Moves a token's issue time back, so that it is `ageSeconds` old. */
async function ageToken(db: Db, raw: string, ageSeconds: number) {
  const count = await db.$executeRaw`
    UPDATE phoenix_kit_users_tokens SET inserted_at = now() - make_interval(secs => ${ageSeconds}) WHERE token = ${sha256(raw)}`;
  expect(count).toBe(1);
}

/** Swaps one character of a token, keeping it well-formed. */
const tamper = (raw: string) => `${raw.slice(0, 20)}${raw[20] === 'A' ? 'B' : 'A'}${raw.slice(21)}`;

/** The POST body a client would send, for byte-level comparisons of responses. */
async function rawResponse(app: App, document: DocumentNode, variables: unknown, headers: Record<string, string> = {}): Promise<string> {
  const response = await app.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return response.text();
}

describe.each(backends)('account tokens on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let mails: Mail[];
  const rawTokens = new Set<string>();

  /** The token in the latest mail to `to` whose link contains `path`. */
  function tokenFromMail(to: string, path: string): string {
    const mail = mails.filter((m) => m.to === to && m.text.includes(path)).at(-1);
    const raw = mail ? TOKEN_IN_LINK.exec(mail.text)?.[1] : undefined;
    if (!raw) throw new Error(`no ${path} mail to ${to} among ${mails.length}`);
    expect(mail?.html).toContain(raw);
    rawTokens.add(raw);
    return raw;
  }

  const mailsTo = (to: string, path?: string) => mails.filter((m) => m.to === to && (!path || m.text.includes(path)));

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    const capture = captureMail();
    mails = capture.sent;
    app = createTestApp(backend, { mailer: capture.mailer, env: { PUBLIC_URL: 'https://kit.example' } });
    await signUp(app); // the Owner, so later accounts are ordinary unconfirmed users
  });
  afterAll(() => backend.close());

  // every raw token that went out by mail so far must be absent from every column of every token row
  afterEach(async () => {
    const { tokens } = await snapshot(db);
    const text = tokens.join('\n');
    for (const raw of rawTokens) {
      expect(text).not.toContain(raw);
      expect(text).not.toContain(Buffer.from(raw, 'utf8').toString('hex'));
      expect(text).not.toContain(Buffer.from(raw, 'base64url').toString('hex'));
    }
  });

  test('confirmation: by email and for the signed-in user; confirming deletes every confirmation link', async () => {
    const user = await signUp(app);
    const byEmail = await execute(app, RequestConfirmationDocument, { input: { email: user.email } });
    expect(byEmail.data?.requestEmailConfirmation).toEqual({ __typename: 'MutationRequestEmailConfirmationSuccess', data: true });
    const first = tokenFromMail(user.email, '/users/confirm/');
    expect(mailsTo(user.email, '/users/confirm/').at(-1)?.text).toContain(`https://kit.example/users/confirm/${first}`);
    const forViewer = await execute(app, RequestConfirmationDocument, {}, user.headers);
    expect(forViewer.data?.requestEmailConfirmation.__typename).toBe('MutationRequestEmailConfirmationSuccess');
    const second = tokenFromMail(user.email, '/users/confirm/');
    expect(second).not.toBe(first);

    const stored = await db.userToken.findMany({ where: { userUuid: user.uuid, context: 'confirm' } });
    // every confirmation mail (registration's included) has its own stored hash
    const mailed = mailsTo(user.email, '/users/confirm/').map((m) => TOKEN_IN_LINK.exec(m.text)?.[1] ?? '');
    expect(mailed).toEqual(expect.arrayContaining([first, second]));
    expect(stored.map((t) => Buffer.from(t.token).toString('hex')).sort()).toEqual(
      mailed.map((raw) => sha256(raw).toString('hex')).sort(),
    );
    expect(stored.every((t) => t.sentTo === user.email)).toBe(true);

    const confirmed = await execute(app, ConfirmEmailDocument, { input: { token: first } });
    expect(confirmed.data?.confirmEmail).toMatchObject({
      __typename: 'MutationConfirmEmailSuccess',
      data: { uuid: user.uuid, confirmedAt: expect.any(String) },
    });
    expect(await db.userToken.count({ where: { userUuid: user.uuid, context: 'confirm' } })).toBe(0);
    expect((await execute(app, ConfirmEmailDocument, { input: { token: second } })).data?.confirmEmail).toEqual(INVALID_TOKEN);

    // a confirmed account gets no further confirmation links, with the same answer
    const sentBefore = mails.length;
    const again = await execute(app, RequestConfirmationDocument, { input: { email: user.email } });
    expect(again.data?.requestEmailConfirmation.__typename).toBe('MutationRequestEmailConfirmationSuccess');
    expect(mails.length).toBe(sentBefore);
    expect(await db.userToken.count({ where: { userUuid: user.uuid, context: 'confirm' } })).toBe(0);

    const anonymous = await execute(app, RequestConfirmationDocument, {});
    expect(anonymous.data?.requestEmailConfirmation).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ path: 'email', message: 'is required' }],
    });
  });

  test('password reset: a 1-hour link sent to the account address sets the password once', async () => {
    const user = await signUp(app);
    const requested = await execute(app, RequestResetDocument, { input: { email: user.email.toUpperCase() } });
    expect(requested.data?.requestPasswordReset).toEqual({ __typename: 'MutationRequestPasswordResetSuccess', data: true });
    const raw = tokenFromMail(user.email, '/users/reset-password/');
    const row = await db.userToken.findFirstOrThrow({ where: { userUuid: user.uuid, context: 'reset_password' } });
    expect(row.sentTo).toBe(user.email);

    const reset = await execute(app, ResetPasswordDocument, { input: { token: raw, password: 'a brand new secret' } });
    expect(reset.data?.resetPassword).toEqual({ __typename: 'MutationResetPasswordSuccess', data: true });
    expect(await db.userToken.count({ where: { userUuid: user.uuid } })).toBe(0);
    const login = await execute(app, LoginDocument, { input: { email: user.email, password: 'a brand new secret' } });
    expect(login.data?.login.__typename).toBe('MutationLoginSuccess');
    const again = await execute(app, ResetPasswordDocument, { input: { token: raw, password: 'yet another secret' } });
    expect(again.data?.resetPassword).toEqual(INVALID_TOKEN);
  });

  test('email change: needs the password, mails the new address, moves the account, tells the old address', async () => {
    const user = await signUp(app);
    const newEmail = uniqueEmail('moved');
    const anonymous = await execute(app, RequestEmailChangeDocument, { input: { newEmail, currentPassword: user.password } });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const wrong = await execute(app, RequestEmailChangeDocument, { input: { newEmail, currentPassword: 'not my password' } }, user.headers);
    expect(wrong.data?.requestEmailChange.__typename).toBe('InvalidCredentialsError');
    expect(await db.userToken.count({ where: { userUuid: user.uuid, context: { startsWith: 'change:' } } })).toBe(0);

    // a reset link to the old address, which must die with the change
    await execute(app, RequestResetDocument, { input: { email: user.email } });
    const resetRaw = tokenFromMail(user.email, '/users/reset-password/');

    const requested = await execute(app, RequestEmailChangeDocument, { input: { newEmail, currentPassword: user.password } }, user.headers);
    expect(requested.data?.requestEmailChange).toEqual({ __typename: 'MutationRequestEmailChangeSuccess', data: true });
    expect(mailsTo(user.email, '/users/settings/confirm-email/')).toHaveLength(0);
    const raw = tokenFromMail(newEmail, '/users/settings/confirm-email/');
    const row = await db.userToken.findFirstOrThrow({ where: { userUuid: user.uuid, context: { startsWith: 'change:' } } });
    expect(row).toMatchObject({ context: `change:${user.email}`, sentTo: newEmail });

    const changed = await execute(app, ConfirmEmailChangeDocument, { input: { token: raw } });
    expect(changed.data?.confirmEmailChange).toMatchObject({
      __typename: 'MutationConfirmEmailChangeSuccess',
      data: { uuid: user.uuid, email: newEmail, confirmedAt: expect.any(String) },
    });
    expect(mailsTo(user.email).at(-1)?.text).toContain(`changed to ${newEmail}`);
    expect((await execute(app, MeDocument, {}, user.headers)).data?.me?.email).toBe(newEmail); // sessions survive
    expect((await execute(app, ConfirmEmailChangeDocument, { input: { token: raw } })).data?.confirmEmailChange).toEqual(INVALID_TOKEN);
    const deadReset = await execute(app, ResetPasswordDocument, { input: { token: resetRaw, password: 'some new secret' } });
    expect(deadReset.data?.resetPassword).toEqual(INVALID_TOKEN);
  });

  test('email change to an address that has an account: same answer, no link, a notice to that address', async () => {
    const user = await signUp(app);
    const other = await signUp(app);
    const free = uniqueEmail('free');
    const change = (newEmail: string) => ({ input: { newEmail, currentPassword: user.password } });
    const toTaken = await rawResponse(app, RequestEmailChangeDocument, change(other.email), user.headers);
    const toFree = await rawResponse(app, RequestEmailChangeDocument, change(free), user.headers);
    expect(toTaken).toBe(toFree);
    expect(JSON.parse(toTaken)).toEqual({ data: { requestEmailChange: { __typename: 'MutationRequestEmailChangeSuccess', data: true } } });
    const pending = await db.userToken.findMany({ where: { userUuid: user.uuid, context: { startsWith: 'change:' } } });
    expect(pending.map((t) => t.sentTo)).toEqual([free]);
    rawTokens.add(tokenFromMail(free, '/users/settings/confirm-email/'));
    expect(mailsTo(other.email).at(-1)?.text).toContain('already belongs to an account');
    expect(mailsTo(other.email, '/users/settings/confirm-email/')).toHaveLength(0);
  });

  test('magic link: a new link revokes the earlier one, works once, and confirms the account', async () => {
    const user = await signUp(app);
    expect((await db.user.findUniqueOrThrow({ where: { uuid: user.uuid } })).confirmedAt).toBeNull();
    await execute(app, RequestMagicLinkDocument, { input: { email: user.email } });
    const first = tokenFromMail(user.email, '/users/magic-link/');
    const requested = await execute(app, RequestMagicLinkDocument, { input: { email: user.email } });
    expect(requested.data?.requestMagicLink).toEqual({ __typename: 'MutationRequestMagicLinkSuccess', data: true });
    const second = tokenFromMail(user.email, '/users/magic-link/');
    expect(await db.userToken.count({ where: { userUuid: user.uuid, context: 'magic_link' } })).toBe(1);

    expect((await execute(app, LoginWithMagicLinkDocument, { input: { token: first } })).data?.loginWithMagicLink).toEqual(INVALID_TOKEN);
    const login = await execute(app, LoginWithMagicLinkDocument, { input: { token: second } });
    const payload = login.data?.loginWithMagicLink;
    if (payload?.__typename !== 'MutationLoginWithMagicLinkSuccess') throw new Error(JSON.stringify(login));
    expect(payload.data.user).toMatchObject({ uuid: user.uuid, confirmedAt: expect.any(String) });
    const me = await execute(app, MeDocument, {}, { authorization: `Bearer ${payload.data.token}` });
    expect(me.data?.me?.uuid).toBe(user.uuid);
    expect((await execute(app, LoginWithMagicLinkDocument, { input: { token: second } })).data?.loginWithMagicLink).toEqual(INVALID_TOKEN);
    expect(await db.userToken.count({ where: { userUuid: user.uuid, context: 'magic_link' } })).toBe(0);
  });

  test('magic link: a deactivated account gets no link, and a link issued before deactivation is refused', async () => {
    const user = await signUp(app);
    await execute(app, RequestMagicLinkDocument, { input: { email: user.email } });
    const raw = tokenFromMail(user.email, '/users/magic-link/');
    await db.user.update({ where: { uuid: user.uuid }, data: { isActive: false } });
    const refused = await execute(app, LoginWithMagicLinkDocument, { input: { token: raw } });
    expect(refused.data?.loginWithMagicLink).toMatchObject({ __typename: 'AccountDisabledError', code: 'ACCOUNT_DISABLED' });
    const sentBefore = mails.length;
    const requested = await execute(app, RequestMagicLinkDocument, { input: { email: user.email } });
    expect(requested.data?.requestMagicLink).toEqual({ __typename: 'MutationRequestMagicLinkSuccess', data: true });
    expect(mails.length).toBe(sentBefore);
  });

  test('magic-link registration: creates a confirmed account once; a taken address gets a notice instead', async () => {
    const email = uniqueEmail('ml-reg');
    const requested = await execute(app, RequestRegistrationDocument, { input: { email } });
    expect(requested.data?.requestMagicLinkRegistration).toEqual({ __typename: 'MutationRequestMagicLinkRegistrationSuccess', data: true });
    const raw = tokenFromMail(email, '/users/register/magic-link/');
    const row = await db.userToken.findFirstOrThrow({ where: { token: sha256(raw) } });
    expect(row).toMatchObject({ userUuid: null, context: 'magic_link_registration', sentTo: email });

    // a bad username is refused without using up the link
    const bad = await execute(app, RegisterWithMagicLinkDocument, { input: { token: raw, username: '1x' } });
    expect(bad.data?.registerWithMagicLink.__typename).toBe('ValidationError');
    expect(await db.user.count({ where: { email } })).toBe(0);

    const registered = await execute(app, RegisterWithMagicLinkDocument, {
      input: { token: raw, password: 'chosen by me 123', username: 'magic_person' },
    });
    const payload = registered.data?.registerWithMagicLink;
    if (payload?.__typename !== 'MutationRegisterWithMagicLinkSuccess') throw new Error(JSON.stringify(registered));
    expect(payload.data.user).toMatchObject({ email, username: 'magic_person', confirmedAt: expect.any(String), roles: [{ name: 'User' }] });
    const me = await execute(app, MeDocument, {}, { authorization: `Bearer ${payload.data.token}` });
    expect(me.data?.me?.email).toBe(email);
    const login = await execute(app, LoginDocument, { input: { email, password: 'chosen by me 123' } });
    expect(login.data?.login.__typename).toBe('MutationLoginSuccess');
    expect((await execute(app, RegisterWithMagicLinkDocument, { input: { token: raw } })).data?.registerWithMagicLink).toEqual(INVALID_TOKEN);

    const sentBefore = mails.length;
    const taken = await execute(app, RequestRegistrationDocument, { input: { email } });
    expect(taken.data?.requestMagicLinkRegistration).toEqual(requested.data?.requestMagicLinkRegistration);
    expect(mails.length).toBe(sentBefore + 1);
    expect(mails.at(-1)?.text).toContain('already has one');
    expect(mails.at(-1)?.text).not.toMatch(TOKEN_IN_LINK);
    expect(await db.userToken.count({ where: { sentTo: email, context: 'magic_link_registration' } })).toBe(0);
  });

  test('one registration link used by 8 requests at once: one account, the others get InvalidTokenError', async () => {
    const email = uniqueEmail('ml-race');
    await execute(app, RequestRegistrationDocument, { input: { email } });
    const raw = tokenFromMail(email, '/users/register/magic-link/');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => execute(app, RegisterWithMagicLinkDocument, { input: { token: raw } })),
    );
    const kinds = answers.map((a) => a.data?.registerWithMagicLink.__typename);
    expect(kinds.filter((k) => k === 'MutationRegisterWithMagicLinkSuccess')).toHaveLength(1);
    expect(answers.filter((a) => a.data?.registerWithMagicLink.__typename !== 'MutationRegisterWithMagicLinkSuccess').map((a) => a.data?.registerWithMagicLink)).toEqual(
      Array.from({ length: 7 }, () => INVALID_TOKEN),
    );
    expect(await db.user.count({ where: { email } })).toBe(1);
    expect(await db.userToken.count({ where: { sentTo: email, context: 'magic_link_registration' } })).toBe(0);
  });

  test('magic-link registration without a password: the account signs in by magic link', async () => {
    const email = uniqueEmail('ml-nopass');
    await execute(app, RequestRegistrationDocument, { input: { email } });
    const raw = tokenFromMail(email, '/users/register/magic-link/');
    const registered = await execute(app, RegisterWithMagicLinkDocument, { input: { token: raw } });
    expect(registered.data?.registerWithMagicLink.__typename).toBe('MutationRegisterWithMagicLinkSuccess');
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(user.username).toMatch(/^mlnopass[0-9a-f]+$/); // generated from the address
    expect(user.hashedPassword).toMatch(/^\$argon2id\$/);
  });

  test('magic-link registration of an account created inactive: confirmed, the link used up, no session', async () => {
    await app.services.settings.update({ key: 'new_user_default_status', value: 'false' });
    try {
      const email = uniqueEmail('ml-inactive');
      await execute(app, RequestRegistrationDocument, { input: { email } });
      const raw = tokenFromMail(email, '/users/register/magic-link/');
      const registered = await execute(app, RegisterWithMagicLinkDocument, { input: { token: raw } });
      expect(registered.data?.registerWithMagicLink).toEqual({
        __typename: 'AccountDisabledError',
        code: 'ACCOUNT_DISABLED',
        message: 'The account was created and awaits activation by an administrator',
      });
      const user = await db.user.findUniqueOrThrow({ where: { email }, include: { tokens: true } });
      expect(user).toMatchObject({ isActive: false, confirmedAt: expect.any(Date), tokens: [] });
      expect((await execute(app, RegisterWithMagicLinkDocument, { input: { token: raw } })).data?.registerWithMagicLink).toEqual(INVALID_TOKEN);
    } finally {
      await app.services.settings.remove('new_user_default_status');
    }
  });

  test('every refused token gets the identical answer and changes nothing', async () => {
    const user = await signUp(app);
    const victim = await signUp(app);
    const hour = 3600;
    const day = 24 * hour;
    const flows = {
      confirm: (token: string) => execute(app, ConfirmEmailDocument, { input: { token } }).then((r) => r.data?.confirmEmail ?? r),
      reset: (token: string) =>
        execute(app, ResetPasswordDocument, { input: { token, password: 'whatever new 1' } }).then((r) => r.data?.resetPassword ?? r),
      change: (token: string) =>
        execute(app, ConfirmEmailChangeDocument, { input: { token } }).then((r) => r.data?.confirmEmailChange ?? r),
      magic: (token: string) =>
        execute(app, LoginWithMagicLinkDocument, { input: { token } }).then((r) => r.data?.loginWithMagicLink ?? r),
      register: (token: string) =>
        execute(app, RegisterWithMagicLinkDocument, { input: { token } }).then((r) => r.data?.registerWithMagicLink ?? r),
    };

    // one live token of each kind, for the victim (or its address)
    await execute(app, RequestConfirmationDocument, { input: { email: victim.email } });
    await execute(app, RequestResetDocument, { input: { email: victim.email } });
    const victimNewEmail = uniqueEmail('vc');
    await execute(app, RequestEmailChangeDocument, { input: { newEmail: victimNewEmail, currentPassword: victim.password } }, victim.headers);
    await execute(app, RequestMagicLinkDocument, { input: { email: victim.email } });
    const regEmail = uniqueEmail('vreg');
    await execute(app, RequestRegistrationDocument, { input: { email: regEmail } });
    const live = {
      confirm: tokenFromMail(victim.email, '/users/confirm/'),
      reset: tokenFromMail(victim.email, '/users/reset-password/'),
      change: tokenFromMail(victimNewEmail, '/users/settings/confirm-email/'),
      magic: tokenFromMail(victim.email, '/users/magic-link/'),
      register: tokenFromMail(regEmail, '/users/register/magic-link/'),
    };

    // expired copies, one per kind, issued to `user` and aged past their lifetime
    await execute(app, RequestConfirmationDocument, { input: { email: user.email } });
    await execute(app, RequestResetDocument, { input: { email: user.email } });
    const userNewEmail = uniqueEmail('uc');
    await execute(app, RequestEmailChangeDocument, { input: { newEmail: userNewEmail, currentPassword: user.password } }, user.headers);
    await execute(app, RequestMagicLinkDocument, { input: { email: user.email } });
    const expiredRegEmail = uniqueEmail('xreg');
    await execute(app, RequestRegistrationDocument, { input: { email: expiredRegEmail } });
    const expired = {
      confirm: tokenFromMail(user.email, '/users/confirm/'),
      reset: tokenFromMail(user.email, '/users/reset-password/'),
      change: tokenFromMail(userNewEmail, '/users/settings/confirm-email/'),
      magic: tokenFromMail(user.email, '/users/magic-link/'),
      register: tokenFromMail(expiredRegEmail, '/users/register/magic-link/'),
    };
    await ageToken(db, expired.confirm, 7 * day);
    await ageToken(db, expired.reset, hour);
    await ageToken(db, expired.change, 7 * day);
    await ageToken(db, expired.magic, 15 * 60);
    await ageToken(db, expired.register, 30 * 60);

    const garbage = ['', 'x', 'not-a-token', 'a'.repeat(10_000), '💥'.repeat(43), `${live.confirm}=`, ` ${live.confirm}`, "' OR 1=1 --"];
    const kinds = Object.keys(flows) as Array<keyof typeof flows>;
    const before = await snapshot(db);
    const results: Array<{ label: string; result: unknown }> = [];
    for (const kind of kinds) {
      const attempts: Array<[label: string, token: string]> = [
        ['expired', expired[kind]],
        ['tampered', tamper(live[kind])],
        ['session token', victim.token],
        ...kinds.filter((k) => k !== kind).map((k): [string, string] => [`${k} token`, live[k]]),
        ...garbage.map((g): [string, string] => [`garbage ${JSON.stringify(g.slice(0, 12))}`, g]),
      ];
      for (const [label, token] of attempts) results.push({ label: `${kind}: ${label}`, result: await flows[kind](token) });
    }
    for (const { label, result } of results) expect(result, label).toEqual(INVALID_TOKEN);
    expect(await snapshot(db)).toEqual(before);

    // the live tokens still work after all that, and then count as reused
    const used = {
      confirm: await flows.confirm(live.confirm),
      magic: await flows.magic(live.magic),
      register: await flows.register(live.register),
      change: await flows.change(live.change),
    };
    expect(Object.values(used).map((r) => (r as { __typename: string }).__typename)).toEqual([
      'MutationConfirmEmailSuccess',
      'MutationLoginWithMagicLinkSuccess',
      'MutationRegisterWithMagicLinkSuccess',
      'MutationConfirmEmailChangeSuccess',
    ]);
    // the email change deleted the reset link that went to the old address
    expect(await flows.reset(live.reset)).toEqual(INVALID_TOKEN);
    for (const kind of kinds) expect(await flows[kind](live[kind]), `${kind}: reused`).toEqual(INVALID_TOKEN);
  });

  test('a link sent before the account address changed is refused', async () => {
    const user = await signUp(app);
    await execute(app, RequestConfirmationDocument, { input: { email: user.email } });
    await execute(app, RequestMagicLinkDocument, { input: { email: user.email } });
    const confirm = tokenFromMail(user.email, '/users/confirm/');
    const magic = tokenFromMail(user.email, '/users/magic-link/');
    // the address changes behind the tokens' back (e.g. by an admin)
    await db.user.update({ where: { uuid: user.uuid }, data: { email: uniqueEmail('admin-set') } });
    expect((await execute(app, ConfirmEmailDocument, { input: { token: confirm } })).data?.confirmEmail).toEqual(INVALID_TOKEN);
    expect((await execute(app, LoginWithMagicLinkDocument, { input: { token: magic } })).data?.loginWithMagicLink).toEqual(INVALID_TOKEN);
    expect((await db.user.findUniqueOrThrow({ where: { uuid: user.uuid } })).confirmedAt).toBeNull();
  });

  test('unknown and known addresses get byte-identical answers and run the same statements', async () => {
    const cases: Array<[string, DocumentNode, (email: string) => unknown]> = [
      ['requestPasswordReset', RequestResetDocument, (email) => ({ input: { email } })],
      ['requestMagicLink', RequestMagicLinkDocument, (email) => ({ input: { email } })],
      ['requestEmailConfirmation', RequestConfirmationDocument, (email) => ({ input: { email } })],
      ['requestMagicLinkRegistration', RequestRegistrationDocument, (email) => ({ input: { email } })],
    ];
    for (const [name, document, variables] of cases) {
      const known = await signUp(app);
      const unknown = uniqueEmail('nobody');
      await rawResponse(app, document, variables(uniqueEmail('warm-up'))); // fills the settings cache for both
      const start = backend.queries.length;
      const knownBody = await rawResponse(app, document, variables(known.email));
      const knownStatements = backend.queries.slice(start);
      const middle = backend.queries.length;
      const unknownBody = await rawResponse(app, document, variables(unknown));
      const unknownStatements = backend.queries.slice(middle);
      expect(unknownBody, name).toBe(knownBody);
      expect(JSON.parse(knownBody), name).toEqual({ data: { [name]: expect.objectContaining({ data: true }) } });
      expect(unknownStatements, name).toEqual(knownStatements);
      if (name === 'requestMagicLinkRegistration') {
        tokenFromMail(unknown, '/users/register/magic-link/');
        expect(mailsTo(known.email).at(-1)?.text).toContain('already has one');
      } else {
        expect(mailsTo(unknown), name).toHaveLength(0);
        expect(mailsTo(known.email).length, name).toBeGreaterThan(0);
        for (const mail of mailsTo(known.email)) {
          const raw = TOKEN_IN_LINK.exec(mail.text)?.[1];
          if (raw) rawTokens.add(raw);
        }
      }
    }
  });

  test('requests are rate limited per address, known or not, with retryAfterSeconds', async () => {
    const known = await signUp(app);
    const unknown = uniqueEmail('nobody');
    const cases = [
      ['requestPasswordReset', RequestResetDocument],
      ['requestMagicLink', RequestMagicLinkDocument],
      ['requestEmailConfirmation', RequestConfirmationDocument],
      ['requestMagicLinkRegistration', RequestRegistrationDocument],
    ] as const;
    for (const [name, document] of cases) {
      for (const email of [known.email, unknown]) {
        const answers: string[] = [];
        // requestMagicLink and requestMagicLinkRegistration share the per-address magic-link window
        const allowed = name === 'requestMagicLinkRegistration' ? 0 : 3;
        for (let i = 0; i < allowed; i++) answers.push(await rawResponse(app, document, { input: { email } }));
        expect(answers.every((a) => a.includes('"data":true')), `${name} ${email}`).toBe(true);
        const limited = JSON.parse(await rawResponse(app, document, { input: { email } })) as {
          data: Record<string, { __typename: string; code: string; retryAfterSeconds: number }>;
        };
        const payload = limited.data[name];
        expect(payload?.__typename, `${name} ${email}`).toBe('RateLimitedError');
        expect(payload?.code).toBe('RATE_LIMITED');
        expect(payload?.retryAfterSeconds).toBeGreaterThan(0);
        expect(payload?.retryAfterSeconds).toBeLessThanOrEqual(300);
      }
    }
    for (const mail of mails) {
      const raw = TOKEN_IN_LINK.exec(mail.text)?.[1];
      if (raw) rawTokens.add(raw);
    }
  });

  test('one IP asking for mail to many addresses is limited to 30 requests an hour, across the kinds; another IP is not', async () => {
    const octet = () => 1 + Math.floor(Math.random() * 254);
    const ip = { 'x-forwarded-for': `10.${octet()}.${octet()}.${octet()}` };
    const kinds = [
      ['requestPasswordReset', RequestResetDocument],
      ['requestMagicLink', RequestMagicLinkDocument],
      ['requestEmailConfirmation', RequestConfirmationDocument],
      ['requestMagicLinkRegistration', RequestRegistrationDocument],
    ] as const;
    const ask = (i: number, headers: Record<string, string>) => {
      const [name, document] = kinds[i % kinds.length]!;
      return rawResponse(app, document, { input: { email: uniqueEmail(`per-ip-${i}`) } }, headers).then(
        (raw) => (JSON.parse(raw) as { data: Record<string, { __typename: string; data?: boolean; code?: string; retryAfterSeconds?: number }> }).data[name]!,
      );
    };
    const allowed = [];
    for (let i = 0; i < 30; i++) allowed.push(await ask(i, ip));
    expect(allowed.filter((answer) => answer.data !== true)).toEqual([]);
    const limited = await ask(30, ip);
    expect(limited).toMatchObject({ __typename: 'RateLimitedError', code: 'RATE_LIMITED' });
    expect(limited.retryAfterSeconds).toBeGreaterThan(3000);
    expect(limited.retryAfterSeconds).toBeLessThanOrEqual(3600);
    expect(await ask(31, { 'x-forwarded-for': `10.${octet()}.${octet()}.${octet()}` })).toMatchObject({ data: true });
  });

  test('bad input gives typed errors and changes nothing', async () => {
    const user = await signUp(app);
    await execute(app, RequestResetDocument, { input: { email: user.email } });
    const resetRaw = tokenFromMail(user.email, '/users/reset-password/');
    const regEmail = uniqueEmail('badinput');
    await execute(app, RequestRegistrationDocument, { input: { email: regEmail } });
    const regRaw = tokenFromMail(regEmail, '/users/register/magic-link/');
    const before = await snapshot(db);
    const sentBefore = mails.length;

    const badEmails = ['', '   ', 'no-at-sign', 'two@@example.com', 'sp ace@example.com', `${'x'.repeat(160)}@example.com`,
      'nul\u0000@example.com', 'tab\t@example.com', 'line\nbreak@example.com', '@example.com', 'user@',
      'zero\u200bwidth@example.com', 'admin@exa\u202emoc.elpm'];
    for (const email of badEmails) {
      for (const document of [RequestResetDocument, RequestMagicLinkDocument, RequestRegistrationDocument, RequestConfirmationDocument]) {
        const body = JSON.parse(await rawResponse(app, document, { input: { email } })) as { data: Record<string, { __typename: string }> };
        expect(Object.values(body.data)[0]?.__typename, JSON.stringify(email)).toBe('ValidationError');
      }
      const change = await execute(app, RequestEmailChangeDocument, { input: { newEmail: email, currentPassword: user.password } }, user.headers);
      expect(change.data?.requestEmailChange.__typename, JSON.stringify(email)).toBe('ValidationError');
    }
    const sameEmail = await execute(app, RequestEmailChangeDocument, { input: { newEmail: user.email.toUpperCase(), currentPassword: user.password } }, user.headers);
    expect(sameEmail.data?.requestEmailChange).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'newEmail' }] });

    const badPasswords = ['', 'short', '1234567', '€'.repeat(25) /* 75 bytes */, 'x'.repeat(73), '😀'.repeat(19), 'ctrl\u0007char password'];
    for (const password of badPasswords) {
      const reset = await execute(app, ResetPasswordDocument, { input: { token: resetRaw, password } });
      expect(reset.data?.resetPassword, JSON.stringify(password)).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'password' }] });
      const register = await execute(app, RegisterWithMagicLinkDocument, { input: { token: regRaw, password } });
      expect(register.data?.registerWithMagicLink.__typename, JSON.stringify(password)).toBe('ValidationError');
    }
    for (const username of ['ab', '1abc', 'ünï', 'with space', 'x'.repeat(31), 'semi;colon']) {
      const register = await execute(app, RegisterWithMagicLinkDocument, { input: { token: regRaw, username } });
      expect(register.data?.registerWithMagicLink, username).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'username' }] });
    }
    expect(await snapshot(db)).toEqual(before);
    expect(mails.length).toBe(sentBefore);

    // the links survived; a password typed in another Unicode normal form still matches afterwards
    const nfd = 'Ånström pässwörd'.normalize('NFD');
    const reset = await execute(app, ResetPasswordDocument, { input: { token: resetRaw, password: nfd } });
    expect(reset.data?.resetPassword).toEqual({ __typename: 'MutationResetPasswordSuccess', data: true });
    const login = await execute(app, LoginDocument, { input: { email: user.email, password: nfd.normalize('NFC') } });
    expect(login.data?.login.__typename).toBe('MutationLoginSuccess');
  });
});

// one real SMTP round trip is enough to prove the transport; postgres is the production database
describe.each(backends.filter(([name]) => name === 'postgres'))('confirmation mail over SMTP on %s', (_name, open) => {
  let backend: Backend;
  let smtp: TestSmtpServer;
  let app: App;
  let owner: TestUser;
  beforeAll(async () => {
    backend = await open();
    smtp = await startSmtpServer();
    app = createTestApp(backend, { env: { SMTP_URL: smtp.url, PUBLIC_URL: 'https://kit.example', MAIL_FROM: 'Kit <kit@example.com>' } });
    owner = await signUp(app);
  });
  afterAll(async () => {
    await smtp.close();
    await backend.close();
  });

  test('registration mails a confirmation link whose token confirms the account', async () => {
    const user = await signUp(app);
    const mail = await smtp.waitFor((m) => m.to.includes(user.email));
    expect(mail.from).toBe('kit@example.com');
    expect(mail.subject).toBe('Confirm your PhoenixKit account');
    const link = /https:\/\/kit\.example\/users\/confirm\/([A-Za-z0-9_-]{43})/.exec(mail.text);
    expect(link).not.toBeNull();
    const token = link?.[1] ?? '';
    // the Owner is confirmed on registration and got no mail
    expect(smtp.messages.filter((m) => m.to.includes(owner.email))).toHaveLength(0);

    const stored = await backend.database.prisma.userToken.findFirstOrThrow({ where: { userUuid: user.uuid, context: 'confirm' } });
    expect(Buffer.from(stored.token).equals(sha256(token))).toBe(true);
    const confirmed = await execute(app, ConfirmEmailDocument, { input: { token } });
    expect(confirmed.data?.confirmEmail).toMatchObject({ __typename: 'MutationConfirmEmailSuccess', data: { uuid: user.uuid } });
    const me = await execute(app, MeDocument, {}, user.headers);
    expect(me.data?.me?.confirmedAt).toEqual(expect.any(String));
  });
});
