import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import type { Mail } from '../../src/modules/mail/mailer.js';
import { createTestApp, signUp, uniqueEmail } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { captureMail, freshIp, fromIp, gql, kinds, Q, sha256, tokenFrom } from '../helpers/account-requests.js';

const age = (db: Db, raw: string, seconds: number) =>
  db.$executeRaw`UPDATE phoenix_kit_users_tokens SET inserted_at = now() - make_interval(secs => ${seconds}) WHERE token = ${sha256(raw)}`;

for (const prefix of ['public', 'pk_custom']) {
  describe.each(backends)(`accounts prune (prefix ${prefix}) on %s`, (_name, open) => {
    let backend: Backend;
    let db: Db;
    let app: App;
    let mails: Mail[];

    beforeAll(async () => {
      backend = await open({ prefix });
      db = backend.database.prisma;
      const capture = captureMail();
      mails = capture.sent;
      app = createTestApp(backend, { mailer: capture.mailer, env: { DB_PREFIX: prefix } });
      await signUp(app);
    });
    afterAll(() => backend.close());

    test('links just within their lifetime survive the prune and still work; just past it are gone', async () => {
      const user = await signUp(app);
      await gql(app, Q.reset, { input: { email: user.email } }, fromIp(freshIp()));
      const reset = tokenFrom(mails, user.email, '/users/reset-password/');
      const regEmail = uniqueEmail('prune-reg');
      await gql(app, Q.regLink, { input: { email: regEmail } }, fromIp(freshIp()));
      const reg = tokenFrom(mails, regEmail, '/users/register/magic-link/');
      const old = await signUp(app);
      await gql(app, Q.reset, { input: { email: old.email } }, fromIp(freshIp()));
      const oldReset = tokenFrom(mails, old.email, '/users/reset-password/');
      expect(await age(db, reset, 3600 - 20)).toBe(1);
      expect(await age(db, reg, 1800 - 20)).toBe(1);
      expect(await age(db, oldReset, 3600)).toBe(1);
      const pruned = await app.services.auth.pruneExpired();
      expect(pruned.tokens).toBeGreaterThanOrEqual(1);
      expect(await db.userToken.count({ where: { token: sha256(oldReset) } })).toBe(0);
      const r1 = await gql(app, `mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { __typename } }`, { input: { token: reset, password: 'fresh password 1' } });
      expect(r1.json.data?.resetPassword.__typename).toBe('MutationResetPasswordSuccess');
      const r2 = await gql(app, Q.registerLink, { input: { token: reg } }, fromIp(freshIp()));
      expect(r2.json.data?.registerWithMagicLink.__typename).toBe('MutationRegisterWithMagicLinkSuccess');
      // the user's sessions (fresh) are untouched by the prune
      expect((await gql(app, Q.me, {}, old.headers)).json.data?.me?.uuid).toBe(old.uuid);
    });

    test('email-change tokens whose old address holds LIKE wildcards are pruned by age like the others', async () => {
      const user = await signUp(app);
      const mk = (context: string, seconds: number) =>
        db.userToken.create({ data: { userUuid: user.uuid, token: new Uint8Array(Buffer.from(randomUUID())), context, sentTo: 'x@y.z', insertedAt: new Date(Date.now() - seconds * 1000) } });
      const oldOne = await mk('change:a%b_c@example.com', 7 * 86400 + 60);
      const young = await mk('change:a%b_c@example.com', 7 * 86400 - 60);
      await app.services.auth.pruneExpired();
      const left = await db.userToken.findMany({ where: { uuid: { in: [oldOne.uuid, young.uuid] } } });
      expect(left.map((t) => t.uuid)).toEqual([young.uuid]);
    });

    test('a per-IP mail window still open survives the prune: the client stays limited', async () => {
      const ip = freshIp();
      for (let i = 0; i < 30; i++) {
        const [name, q] = kinds[i % 4]!;
        expect((await gql(app, q, { input: { email: uniqueEmail('p') } }, fromIp(ip))).json.data?.[name].data).toBe(true);
      }
      // the window opened 59 minutes ago
      await db.$executeRaw`UPDATE phoenix_kit_rate_limits SET window_start = now() - interval '59 minutes' WHERE key = ${`mail:ip:${ip}`}`;
      await app.services.auth.pruneExpired();
      const after = await gql(app, Q.reset, { input: { email: uniqueEmail('p') } }, fromIp(ip));
      expect(after.json.data?.requestPasswordReset).toMatchObject({ __typename: 'RateLimitedError' });
      expect(after.json.data?.requestPasswordReset.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(after.json.data?.requestPasswordReset.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    });

    test('tokens of a deleted user are gone with the user', async () => {
      const user = await signUp(app);
      await gql(app, Q.reset, { input: { email: user.email } }, fromIp(freshIp()));
      await db.user.delete({ where: { uuid: user.uuid } });
      expect(await db.userToken.count({ where: { userUuid: user.uuid } })).toBe(0);
    });
  });
}
