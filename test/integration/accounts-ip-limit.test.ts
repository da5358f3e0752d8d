import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import type { Mail } from '../../src/modules/mail/mailer.js';
import { createTestApp, signUp, uniqueEmail } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { captureMail, freshIp, fromIp, gql, kinds } from '../helpers/account-requests.js';

const hex = () => randomBytes(2).toString('hex');

describe.each(backends)('per-IP mail limit on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let mails: Mail[];

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    const capture = captureMail();
    mails = capture.sent;
    app = createTestApp(backend, { mailer: capture.mailer });
    await signUp(app); // owner
  });
  afterAll(() => backend.close());

  async function ask(i: number, headers: Record<string, string>, email = uniqueEmail(`ip-${i}`)) {
    const [name, query] = kinds[i % kinds.length]!;
    const { json } = await gql(app, query, { input: { email } }, headers);
    return json.data?.[name] as { __typename: string; data?: boolean; retryAfterSeconds?: number };
  }

  async function exhaust(ip: string) {
    for (let i = 0; i < 30; i++) expect((await ask(i, fromIp(ip))).data, `request ${i} from ${ip}`).toBe(true);
    expect((await ask(30, fromIp(ip))).__typename).toBe('RateLimitedError');
  }

  // Each variant is what a proxy or socket reports for the same client as `base`: after 30 requests from `base`, the
  // variant's request is limited too.
  const sameClient: Array<[label: string, make: () => [base: string, variant: string]]> = [
    ['IPv4 with a source port (Azure/IIS-style X-Forwarded-For "ip:port")', () => { const ip = freshIp(); return [ip, `${ip}:51234`]; }],
    ['IPv4-mapped IPv6 in upper case (::FFFF:a.b.c.d)', () => { const ip = freshIp(); return [ip, `::FFFF:${ip}`]; }],
    ['IPv6 written out in full vs compressed', () => { const h = hex(); return [`2001:db8:${h}::7`, `2001:0db8:${h}:0000:0000:0000:0000:0007`]; }],
    ['bracketed IPv6 with a port ([v6]:port)', () => { const h = hex(); return [`2001:db8:${h}::7`, `[2001:db8:${h}::7]:443`]; }],
    ['another address of the same IPv6 /64 (one household / one host)', () => { const h = hex(); return [`2001:db8:${h}:1::1`, `2001:db8:${h}:1::2`]; }],
  ];
  test.each(sameClient)('one client written another way: %s', async (_label, make) => {
    const [base, variant] = make();
    await exhaust(base);
    const answer = await ask(31, fromIp(variant));
    expect(answer.__typename, `${variant} after 30 from ${base}`).toBe('RateLimitedError');
  });

  const holds: Array<[label: string, make: () => [base: string, variant: string]]> = [
    ['spaces around the first entry', () => { const ip = freshIp(); return [ip, `   ${ip}   `]; }],
    ['lower-case IPv4-mapped IPv6 (::ffff:a.b.c.d)', () => { const ip = freshIp(); return [ip, `::ffff:${ip}`]; }],
    ['IPv6 in another letter case', () => { const h = 'abcd'; const x = hex(); return [`2001:db8:${x}::${h}`, `2001:DB8:${x.toUpperCase()}::${h.toUpperCase()}`]; }],
    ['more X-Forwarded-For entries after the first', () => { const ip = freshIp(); return [ip, `${ip}, 10.0.0.1, 10.0.0.2`]; }],
  ];
  test.each(holds)('holds: %s', async (_label, make) => {
    const [base, variant] = make();
    await exhaust(base);
    expect((await ask(31, fromIp(variant))).__typename).toBe('RateLimitedError');
  });

  test('holds: 40 simultaneous requests from one IP: exactly 30 answered true', async () => {
    const ip = freshIp();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => ask(i, fromIp(ip))));
    expect(answers.filter((a) => a.data === true)).toHaveLength(30);
    expect(answers.filter((a) => a.__typename === 'RateLimitedError')).toHaveLength(10);
  });

  test('holds: a limited request sends no mail and creates no token; bad emails do not count', async () => {
    const ip = freshIp();
    // 20 bad addresses first: they must not eat the allowance
    for (let i = 0; i < 20; i++) expect((await ask(i, fromIp(ip), `bad address ${i}`)).__typename).toBe('ValidationError');
    await exhaust(ip);
    const known = await signUp(app);
    const sentBefore = mails.length;
    const tokensBefore = await db.userToken.count();
    for (let i = 0; i < 4; i++) expect((await ask(i, fromIp(ip), known.email)).__typename).toBe('RateLimitedError');
    await new Promise((r) => setTimeout(r, 100));
    expect(mails.length).toBe(sentBefore);
    expect(await db.userToken.count()).toBe(tokensBefore);
  });

  test('holds: known and unknown addresses answer byte-identically when the IP is limited', async () => {
    const ip = freshIp();
    await exhaust(ip);
    const known = await signUp(app);
    for (const [name, query] of kinds) {
      const a = await gql(app, query, { input: { email: known.email } }, fromIp(ip));
      const b = await gql(app, query, { input: { email: uniqueEmail('nobody') } }, fromIp(ip));
      expect(a.json.data?.[name].__typename).toBe('RateLimitedError');
      expect(a.text.replace(/\d+/g, 'N')).toBe(b.text.replace(/\d+/g, 'N'));
    }
  });
});
