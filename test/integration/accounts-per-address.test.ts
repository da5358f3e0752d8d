import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Mail } from '../../src/modules/mail/mailer.js';
import { createTestApp, signUp } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { captureMail, freshIp, fromIp, gql, Q } from '../helpers/account-requests.js';
import { randomUUID } from 'node:crypto';

// The database (citext, lower()) folds U+0130 'İ' to 'i', so 'alİce@…' is alice's account: per-address limits count
// every spelling the database takes for one address together (JavaScript's toLowerCase() would make 'i' + U+0307).
describe.each(backends)('per-address limits vs. what the database takes for one address, on %s', (_name, open) => {
  let backend: Backend;
  let app: App;
  let mails: Mail[];

  beforeAll(async () => {
    backend = await open();
    const capture = captureMail();
    mails = capture.sent;
    app = createTestApp(backend, { mailer: capture.mailer });
    await signUp(app); // owner
  });
  afterAll(() => backend.close());

  test('the database treats "İ" as "i" (precondition: the dotted capital I reaches the account)', async () => {
    const user = await signUp(app, { email: `victim-${randomUUID().slice(0, 8)}@mail.test` });
    const variant = user.email.replace('i', 'İ');
    const login = await gql(app, Q.login, { input: { email: variant, password: user.password } }, fromIp(freshIp()));
    // on a database whose lower() folds İ this signs into the victim's account (citext); report either way
    console.log(backend.database.kind, 'login with İ variant:', login.json.data?.login.__typename);
  });

  test('password-reset mail to one account: 3 per 5 minutes, whatever the spelling of the address', async () => {
    const user = await signUp(app, { email: `victim-${randomUUID().slice(0, 8)}@mail.test` });
    const spellings = [user.email, user.email.toUpperCase(), user.email.replace('i', 'İ'), user.email.replace(/i/g, 'İ')];
    const answers: string[] = [];
    for (const email of spellings) {
      for (let i = 0; i < 3; i++) {
        // a fresh IP each time: the per-IP limit is not what is tested
        const { json } = await gql(app, Q.reset, { input: { email } }, fromIp(freshIp()));
        answers.push(json.data?.requestPasswordReset.__typename);
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    const resetMails = mails.filter((m) => m.to === user.email && m.text.includes('/users/reset-password/'));
    expect(resetMails.length, `answers: ${answers.join(', ')}`).toBeLessThanOrEqual(3);
  });

  test('sign-in attempts against one account: 5 per minute, whatever the spelling of the address', async () => {
    const user = await signUp(app, { email: `victim-${randomUUID().slice(0, 8)}@mail.test` });
    const spellings = [user.email, user.email.replace('i', 'İ'), user.email.replace(/i/g, 'İ')];
    const answers: string[] = [];
    for (const email of spellings) {
      for (let i = 0; i < 5; i++) {
        const { json } = await gql(app, Q.login, { input: { email, password: `wrong guess ${i}` } }, fromIp(freshIp()));
        answers.push(json.data?.login.__typename);
      }
    }
    // 15 password guesses within a minute; at most 5 may have been checked
    expect(answers.filter((a) => a === 'InvalidCredentialsError').length, answers.join(', ')).toBeLessThanOrEqual(5);
  });
});
