import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import type { Mail } from '../../src/modules/mail/mailer.js';
import { createTestApp, signUp, uniqueEmail } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { captureMail, freshIp, fromIp, gql, Q, sha256, tokenFrom } from '../helpers/account-requests.js';

const LINK = '/users/register/magic-link/';

describe.each(backends)('registerWithMagicLink on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let mails: Mail[];

  async function link(email = uniqueEmail('ml')) {
    const { json } = await gql(app, Q.regLink, { input: { email } }, fromIp(freshIp()));
    expect(json.data?.requestMagicLinkRegistration.data).toBe(true);
    return { email, raw: tokenFrom(mails, email, LINK) };
  }
  const use = async (raw: string, extra: Record<string, unknown> = {}, headers = fromIp(freshIp())) =>
    (await gql(app, Q.registerLink, { input: { token: raw, ...extra } }, headers)).json.data?.registerWithMagicLink;
  const linkAlive = async (raw: string) => (await db.userToken.count({ where: { token: sha256(raw) } })) === 1;

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    const capture = captureMail();
    mails = capture.sent;
    app = createTestApp(backend, { mailer: capture.mailer });
  });
  afterAll(() => backend.close());

  test('the first account made by magic link is the Owner, confirmed, signed in', async () => {
    const { email, raw } = await link();
    const answer = await use(raw, { username: 'first_owner' });
    expect(answer).toMatchObject({
      __typename: 'MutationRegisterWithMagicLinkSuccess',
      data: { user: { email, username: 'first_owner', isActive: true, confirmedAt: expect.any(String), roles: [{ name: 'Owner' }] } },
    });
    const me = await gql(app, Q.me, {}, { authorization: `Bearer ${answer.data.token}` });
    expect(me.json.data?.me).toMatchObject({ email, roles: [{ name: 'Owner' }] });
  });

  test('a link for an address registered meanwhile by register: InvalidTokenError, one account', async () => {
    const { email, raw } = await link();
    await signUp(app, { email });
    expect(await use(raw)).toMatchObject({ __typename: 'InvalidTokenError' });
    expect(await db.user.count({ where: { email } })).toBe(1);
  });

  test('registration closed: ValidationError, link kept, works when reopened', async () => {
    const { email, raw } = await link();
    await app.services.settings.update({ key: 'allow_registration', value: 'false' });
    try {
      expect(await use(raw)).toMatchObject({ __typename: 'ValidationError', message: 'Registration is closed' });
      expect(await linkAlive(raw)).toBe(true);
    } finally {
      await app.services.settings.remove('allow_registration');
    }
    expect(await use(raw)).toMatchObject({ __typename: 'MutationRegisterWithMagicLinkSuccess', data: { user: { email } } });
  });

  test('refused inputs keep the link: bad username, weak password, taken username', async () => {
    const taken = await signUp(app, { username: `taken_${Date.now() % 100000}` });
    const tuser = (await db.user.findUniqueOrThrow({ where: { uuid: taken.uuid } })).username!;
    const { email, raw } = await link();
    expect(await use(raw, { username: '1bad' })).toMatchObject({ __typename: 'ValidationError' });
    expect(await use(raw, { password: 'short' })).toMatchObject({ __typename: 'ValidationError' });
    expect(await use(raw, { username: tuser.toUpperCase() })).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'username' }] });
    expect(await linkAlive(raw)).toBe(true);
    expect(await use(raw, { password: 'a fine password' })).toMatchObject({ __typename: 'MutationRegisterWithMagicLinkSuccess', data: { user: { email } } });
    const login = await gql(app, Q.login, { input: { email, password: 'a fine password' } }, fromIp(freshIp()));
    expect(login.json.data?.login.__typename).toBe('MutationLoginSuccess');
  });

  test('per-IP registration limit reached: RateLimitedError and the link is kept', async () => {
    const ip = freshIp();
    for (let i = 0; i < 10; i++) await signUp(app).catch(() => undefined); // other IPs (no header): in-process => no ip
    const { raw } = await link();
    // 10 registrations from `ip`
    for (let i = 0; i < 10; i++) {
      const r = await gql(app, Q.register, { input: { email: uniqueEmail('ipreg'), password: 'correct horse battery' } }, fromIp(ip));
      expect(r.json.data?.register.__typename).toBe('MutationRegisterSuccess');
    }
    expect(await use(raw, {}, fromIp(ip))).toMatchObject({ __typename: 'RateLimitedError' });
    expect(await linkAlive(raw)).toBe(true);
    expect(await use(raw)).toMatchObject({ __typename: 'MutationRegisterWithMagicLinkSuccess' });
  });

  test('the per-address registration limit does not stop a link (the link proves the address)', async () => {
    const taken = await signUp(app, { username: `busy_${Date.now() % 100000}` });
    const busy = (await db.user.findUniqueOrThrow({ where: { uuid: taken.uuid } })).username!;
    const { email, raw } = await link();
    // three refused password registrations of the address (taken username) use up its 3/h
    for (let i = 0; i < 3; i++) {
      const r = await gql(app, Q.register, { input: { email, password: 'correct horse battery', username: busy } }, fromIp(freshIp()));
      expect(r.json.data?.register.__typename).toBe('ValidationError');
    }
    const limited = await gql(app, Q.register, { input: { email, password: 'correct horse battery' } }, fromIp(freshIp()));
    expect(limited.json.data?.register.__typename).toBe('RateLimitedError');
    expect(await use(raw)).toMatchObject({ __typename: 'MutationRegisterWithMagicLinkSuccess', data: { user: { email } } });
  });

  for (const run of [1, 2, 3]) {
    test(`simultaneous uses with different usernames make one account (run ${run})`, async () => {
      const { email, raw } = await link();
      const names = Array.from({ length: 6 }, (_, i) => `racer_${run}_${i}_${Date.now() % 100000}`);
      const answers = await Promise.all(names.map((username) => use(raw, { username })));
      const wins = answers.filter((a) => a?.__typename === 'MutationRegisterWithMagicLinkSuccess');
      expect(wins, JSON.stringify(answers)).toHaveLength(1);
      expect(answers.filter((a) => a?.__typename === 'InvalidTokenError')).toHaveLength(5);
      expect(await db.user.count({ where: { email } })).toBe(1);
      expect(await db.user.count({ where: { username: { in: names } } })).toBe(1);
    });
  }

  for (const run of [1, 2]) {
    test(`two different links of one address used at once: one account (run ${run})`, async () => {
      const email = uniqueEmail('two-links');
      const a = await link(email);
      const b = await link(email);
      expect(a.raw).not.toBe(b.raw);
      const answers = await Promise.all([use(a.raw), use(b.raw), use(a.raw), use(b.raw)]);
      expect(answers.filter((x) => x?.__typename === 'MutationRegisterWithMagicLinkSuccess'), JSON.stringify(answers)).toHaveLength(1);
      expect(await db.user.count({ where: { email } })).toBe(1);
    });
  }

  test('simultaneous link use and password registration of one address: one account', async () => {
    const { email, raw } = await link();
    const [viaLink, viaRegister] = await Promise.all([
      use(raw),
      gql(app, Q.register, { input: { email, password: 'correct horse battery' } }, fromIp(freshIp())).then((r) => r.json.data?.register),
    ]);
    expect([viaLink.__typename, viaRegister.__typename].filter((t) => t.endsWith('Success'))).toHaveLength(1);
    expect(await db.user.count({ where: { email } })).toBe(1);
  });

  test('the new account session is live and records the client IP', async () => {
    const ip = freshIp();
    const { raw } = await link();
    const answer = await use(raw, {}, { ...fromIp(ip), 'user-agent': 'test-agent' });
    const me = await gql(app, Q.me, {}, { authorization: `Bearer ${answer.data.token}`, ...fromIp(ip), 'user-agent': 'test-agent' });
    expect(me.json.data?.me?.uuid).toBe(answer.data.user.uuid);
    const session = await db.userToken.findFirstOrThrow({ where: { userUuid: answer.data.user.uuid, context: 'session' } });
    expect(session.ipAddress).toBe(ip);
  });
});

describe.each(backends)('registerWithMagicLink without a password under strict password rules on %s', (_name, open) => {
  let backend: Backend;
  let app: App;
  let mails: Mail[];
  beforeAll(async () => {
    backend = await open();
    const capture = captureMail();
    mails = capture.sent;
    // a valid configuration (PASSWORD_MIN_LENGTH accepts 8..72)
    app = createTestApp(backend, {
      mailer: capture.mailer,
      env: { PASSWORD_MIN_LENGTH: '72', PASSWORD_REQUIRE_UPPERCASE: 'true', PASSWORD_REQUIRE_DIGIT: 'true', PASSWORD_REQUIRE_SPECIAL: 'true' },
    });
    await signUp(app, { password: 'Aa1!'.padEnd(72, 'x') }); // owner
  });
  afterAll(() => backend.close());

  test('a link used without a password still creates the account (the server picks "a password nobody knows")', async () => {
    const email = uniqueEmail('strict');
    await gql(app, Q.regLink, { input: { email } }, fromIp(freshIp()));
    const raw = tokenFrom(mails, email, LINK);
    const answer = (await gql(app, Q.registerLink, { input: { token: raw } }, fromIp(freshIp()))).json.data?.registerWithMagicLink;
    expect(answer, JSON.stringify(answer)).toMatchObject({ __typename: 'MutationRegisterWithMagicLinkSuccess', data: { user: { email } } });
  });
});
