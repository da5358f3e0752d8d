import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import type { Mail } from '../../src/modules/mail/mailer.js';
import { createTestApp, signUp } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { captureMail, freshIp, fromIp, gql, Q } from '../helpers/account-requests.js';

describe.each(backends)('email look-alikes on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let mails: Mail[];
  let n = 0;
  const register = async (email: string) =>
    (await gql(app, Q.register, { input: { email, password: 'correct horse battery' } }, fromIp(freshIp()))).json.data?.register;

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    const capture = captureMail();
    mails = capture.sent;
    app = createTestApp(backend, { mailer: capture.mailer });
    await signUp(app, { email: 'owner@example.com' });
  });
  afterAll(() => backend.close());

  // an address that looks like another is refused: these render as nothing (Default_Ignorable_Code_Point) without
  // being format characters (Cf)
  const invisible: Array<[string, string]> = [
    ['U+3164 HANGUL FILLER (Lo)', '\u3164'],
    ['U+115F HANGUL CHOSEONG FILLER (Lo)', '\u115F'],
    ['U+1160 HANGUL JUNGSEONG FILLER (Lo)', '\u1160'],
    ['U+FFA0 HALFWIDTH HANGUL FILLER (Lo)', '\uFFA0'],
    ['U+034F COMBINING GRAPHEME JOINER (Mn)', '\u034F'],
    ['U+FE0F VARIATION SELECTOR-16 (Mn)', '\uFE0F'],
    ['U+E0100 VARIATION SELECTOR-17 (Mn)', '\u{E0100}'],
    ['U+17B4 KHMER VOWEL INHERENT AQ (Mn)', '\u17B4'],
  ];
  test.each(invisible)('an address that looks like owner@example.com with %s is refused', async (_label, ch) => {
    const email = `owner${ch}@example.com`;
    const answer = await register(email);
    expect(answer?.__typename, JSON.stringify(email)).toBe('ValidationError');
  });

  test('border case (reported, not asserted): U+2800 BRAILLE PATTERN BLANK renders as a blank cell', async () => {
    const answer = await register(`owner${n++}\u2800@example.com`);
    console.log('U+2800 accepted:', answer?.__typename);
  });

  const refused: Array<[string, string]> = [
    ['U+200B zero width space', 'owner\u200B@example.com'],
    ['U+00AD soft hyphen', 'ow\u00ADner@example.com'],
    ['U+2060 word joiner', 'owner\u2060@example.com'],
    ['U+FEFF inside', 'ow\uFEFFner@example.com'],
    ['U+202E RLO', 'owner@exa\u202Emple.com'],
    ['U+061C arabic letter mark', 'owner\u061C@example.com'],
    ['U+E0041 tag letter', 'owner\u{E0041}@example.com'],
    ['fullwidth @', 'owner\uFF20example.com'],
    ['ideographic space', 'owner\u3000@example.com'],
  ];
  test.each(refused)('holds: %s is refused', async (_label, email) => {
    expect((await register(email))?.__typename).toBe('ValidationError');
  });

  test('holds: NFD and NFC spellings are one address (register, reset, login)', async () => {
    const nfc = `jos\u00e9-${Date.now()}@example.com`;
    const nfd = nfc.normalize('NFD');
    expect((await register(nfd))?.__typename).toBe('MutationRegisterSuccess');
    expect((await db.user.findUniqueOrThrow({ where: { email: nfc } })).email).toBe(nfc);
    expect((await register(nfc))?.__typename).toBe('ValidationError');
    const reset = await gql(app, Q.reset, { input: { email: nfd } }, fromIp(freshIp()));
    expect(reset.json.data?.requestPasswordReset.data).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(mails.filter((m) => m.to === nfc && m.text.includes('/users/reset-password/'))).toHaveLength(1);
    const login = await gql(app, Q.login, { input: { email: nfd, password: 'correct horse battery' } }, fromIp(freshIp()));
    expect(login.json.data?.login.__typename).toBe('MutationLoginSuccess');
  });
});
