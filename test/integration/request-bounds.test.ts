import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { QUERY_LIMITS } from '../../src/graphql/query-limits.js';
import { backends, type Backend } from '../helpers/backends.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';

type Answer = { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

/** POSTs a raw GraphQL request: these tests send what no typed document would. */
async function post(app: App, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await app.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Answer };
}

const codes = (answer: Answer) => answer.errors?.map((e) => e.extensions?.code) ?? [];

describe.each(backends)('what one request may ask for, on %s', (_name, open) => {
  let backend: Backend;
  let app: App;
  let owner: TestUser;
  let user: TestUser;
  beforeAll(async () => {
    backend = await open();
    app = createTestApp(backend);
    owner = await signUp(app);
    user = await signUp(app);
    for (let i = 0; i < 3; i++) {
      await backend.database.prisma.file.create({
        data: {
          originalFileName: `f${i}.bin`, fileName: `f${i}.bin`, mimeType: 'application/octet-stream', fileType: 'other', ext: 'bin',
          fileChecksum: `c${i}`, userFileChecksum: randomUUID(), size: 10n, status: 'active', userUuid: user.uuid,
        },
      });
    }
  });
  afterAll(() => backend.close());

  /** Statements the request ran beyond reading its session. */
  async function statementsOf(run: () => Promise<unknown>) {
    const before = backend.queries.length;
    await run();
    return backend.queries.slice(before).filter((q) => !/phoenix_kit_users_tokens/.test(q)).length;
  }

  test('lists nested in lists of 100 are refused as QUERY_TOO_COMPLEX before any statement runs', async () => {
    const nest = (levels: number) =>
      `{ me { ${'files(first: 100) { edges { node { uuid user { '.repeat(levels)}uuid${' } } } }'.repeat(levels)} } }`;
    let answer: Awaited<ReturnType<typeof post>> | undefined;
    expect(await statementsOf(async () => (answer = await post(app, nest(3), undefined, user.headers)))).toBe(0);
    expect(answer!.body.data ?? null).toBeNull();
    expect(answer!.body.errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/too costly/), extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX' }) }),
    ]);
    // one level of the same is an ordinary listing
    const one = await post(app, nest(1), undefined, user.headers);
    expect(one.body.errors).toBeUndefined();
    expect(one.body.data?.me.files.edges).toHaveLength(3);
  });

  test('500 aliased lists in one request are refused (too many fields), none of them run', async () => {
    const query = `{ ${Array.from({ length: 500 }, (_, i) => `a${i}: files(first: 100) { edges { node { uuid } } }`).join(' ')} }`;
    let answer: Awaited<ReturnType<typeof post>> | undefined;
    expect(await statementsOf(async () => (answer = await post(app, query, undefined, user.headers)))).toBe(0);
    expect(codes(answer!.body)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(answer!.body.errors?.[0]?.message).toMatch(/too many fields/);
  });

  test('a document past the token or nesting limit is a parse error (not a server fault), and the server keeps serving', async () => {
    const aliases = `{ ${Array.from({ length: QUERY_LIMITS.tokens }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const deep = `{ ${'me { '.repeat(12_000)}uuid${' }'.repeat(12_000)} }`;
    const lists = `{ setting(key: ${'['.repeat(5_000)}"x"${']'.repeat(5_000)}) { key } }`;
    for (const query of [aliases, deep, lists]) {
      const answer = await post(app, query);
      expect(answer.status).toBeLessThan(500);
      expect(codes(answer.body)).toEqual(['GRAPHQL_PARSE_FAILED']);
    }
    expect((await post(app, '{ me { uuid } }', undefined, user.headers)).body.data?.me.uuid).toBe(user.uuid);
  });

  test('the 100-file listing with variants, copies and buckets is within the limits', async () => {
    const answer = await post(
      app,
      '{ files(first: 100) { edges { node { uuid originalFileName size instances { variantName url locations { path status bucket { name } } } } } } }',
      undefined,
      user.headers,
    );
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.files.edges).toHaveLength(3);
  });

  test('a query given NUL or an unpaired surrogate in a string is BAD_USER_INPUT before anything runs', async () => {
    await app.services.settings.update({ key: 'entities_enabled', value: 'true' });
    const cases: Array<[string, Record<string, unknown> | undefined, Record<string, string>]> = [
      ['query($s: String!) { setting(key: $s) { key } }', { s: '\u0000' }, {}],
      ['query($s: String!) { files(search: $s) { edges { cursor } } }', { s: 'a\ud800' }, user.headers],
      ['query($s: String!) { entity(name: $s) { name } }', { s: 'n\u0000' }, owner.headers],
      ['query($s: String!) { entityData(entity: $s) { edges { cursor } } }', { s: 'n\u0000' }, owner.headers],
      ['{ setting(key: "a\\u0000b") { key } }', undefined, {}],
      ['query($s: String = "a\\u0000") { setting(key: $s) { key } }', undefined, {}],
    ];
    for (const [query, variables, headers] of cases) {
      let answer: Awaited<ReturnType<typeof post>> | undefined;
      const statements = await statementsOf(async () => (answer = await post(app, query, variables, headers)));
      expect(codes(answer!.body), query).toEqual(['BAD_USER_INPUT']);
      expect(statements, query).toBe(0);
    }
    // the same strings without the NUL are ordinary reads
    expect(codes((await post(app, 'query($s: String!) { setting(key: $s) { key } }', { s: 'a' })).body)).toEqual([]);
  });

  test('UUID: only the 8-4-4-4-12 form is read, in either case, as lower case', async () => {
    const uuid = randomUUID();
    for (const bad of [`${uuid}}`, `{${uuid}}`, `{{${uuid}}`, `urn:uuid:${uuid}`, uuid.replaceAll('-', ''), `${uuid} `]) {
      const answer = await post(app, 'query($u: UUID!) { file(uuid: $u) { uuid } }', { u: bad }, owner.headers);
      expect(answer.status, bad).toBe(400);
      expect(codes(answer.body), bad).toEqual(['BAD_USER_INPUT']);
    }
    const literal = await post(app, `{ file(uuid: "{${uuid}}") { uuid } }`, undefined, owner.headers);
    expect(codes(literal.body)).not.toContain('INTERNAL_SERVER_ERROR');
    expect(literal.body.errors).toHaveLength(1);
    // the viewer's own uuid in upper case is the viewer
    const mine = await post(
      app,
      'mutation($u: UUID) { updateProfile(input: { userUuid: $u, firstName: "Upper" }) { __typename } }',
      { u: user.uuid.toUpperCase() },
      user.headers,
    );
    expect(mine.body.data?.updateProfile.__typename).toBe('MutationUpdateProfileSuccess');
  });

  test('an unexpected error is masked even with NODE_ENV=development: no message, stack or cause reaches the client', async () => {
    const saved = process.env.NODE_ENV;
    const find = app.services.settings.find;
    process.env.NODE_ENV = 'development';
    app.services.settings.find = async () => {
      throw new Error('secret detail at /srv/app/src/modules/settings');
    };
    try {
      const answer = await post(app, '{ setting(key: "project_title") { key } }');
      expect(answer.body.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([['Unexpected error.', 'INTERNAL_SERVER_ERROR']]);
      expect(answer.text).not.toMatch(/secret detail|stack|originalError/);
    } finally {
      app.services.settings.find = find;
      if (saved === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved;
    }
  });
});
