import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nodeHandler, type App } from '../../src/app.js';
import { createTestApp, signUp, uniqueEmail } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { captureMail, kinds } from '../helpers/account-requests.js';

// Over a real socket: the per-IP limit applies to the socket address, with and without a trusted proxy.
describe.each(backends.filter(([n]) => n === 'postgres'))('per-IP mail limit over a socket on %s', (_name, open) => {
  let backend: Backend;
  const servers: Server[] = [];
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await backend.close();
  });

  async function serve(app: App): Promise<string> {
    const server = createServer(nodeHandler(app));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  }
  async function post(url: string, i: number, headers: Record<string, string> = {}) {
    const [name, query] = kinds[i % 4]!;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables: { input: { email: uniqueEmail('sock') } } }),
    });
    return ((await res.json()) as { data: Record<string, { __typename: string }> }).data[name]!.__typename;
  }

  test('TRUST_PROXY=false: XFF is ignored, the 31st request from 127.0.0.1 is limited', async () => {
    const app = createTestApp(backend, { mailer: captureMail().mailer, env: { TRUST_PROXY: 'false' } });
    await signUp(app);
    const url = await serve(app);
    const answers: string[] = [];
    for (let i = 0; i < 31; i++) answers.push(await post(url, i, { 'x-forwarded-for': `198.51.100.${i + 1}` }));
    expect(answers.slice(0, 30).every((a) => a.endsWith('Success'))).toBe(true);
    expect(answers[30]).toBe('RateLimitedError');
  });

  test('TRUST_PROXY=true and an empty first XFF entry: falls back to the socket address (still limited)', async () => {
    await backend.database.prisma.rateLimit.deleteMany({});
    const app = createTestApp(backend, { mailer: captureMail().mailer, env: { TRUST_PROXY: 'true' } });
    const url = await serve(app);
    const answers: string[] = [];
    for (let i = 0; i < 31; i++) answers.push(await post(url, i, { 'x-forwarded-for': ` , 198.51.100.${i + 1}` }));
    expect(answers[30]).toBe('RateLimitedError');
  });
});
