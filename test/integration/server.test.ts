import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { openPostgres } from '../../src/db/database.js';
import { LATEST_VERSION } from '../../src/db/migrations/runner.js';
import { MAX_JSON_BODY_BYTES } from '../../src/graphql/uploads.js';
import { graphql } from '../gql/index.js';
import { backends, type Backend } from '../helpers/backends.js';
import { createTestApp, signUp, silentLog, testConfig, type TestUser } from '../helpers/accounts.js';
import { execute } from '../helpers/execute.js';
import { startHttpServer } from '../helpers/upload.js';

const CONTRACT_TYPES = ['User', 'Role', 'Setting', 'Bucket', 'File', 'FileInstance', 'FileLocation', 'StorageDimension',
  'Entity', 'EntityData', 'Comment', 'CommentMedia'];

const FilesDocument = graphql(`
  query ServerFiles($first: Int!) {
    files(first: $first) {
      edges {
        node {
          id
          uuid
          fileChecksum
          size
          user { uuid email roles { name } }
          instances { variantName processingStatus locations { path bucket { name } } }
        }
      }
      pageInfo { hasNextPage }
    }
  }
`);

const MeDocument = graphql(`
  query ServerMe {
    me { uuid }
  }
`);

const RolesDocument = graphql(`
  query ServerRoles {
    roles(first: 10) { edges { node { uuid name isSystemRole } } }
  }
`);

describe.each(backends)('server on %s', (_name, open) => {
  let backend: Backend;
  let owner: TestUser;
  let app: App;
  beforeAll(async () => {
    backend = await open();
    app = createTestApp(backend);
    owner = await signUp(app); // the first account is the Owner
  });
  afterAll(() => backend.close());

  test('/healthz and /readyz', async () => {
    const health = await app.fetch('http://localhost/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await app.fetch('http://localhost/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', version: LATEST_VERSION, latest: LATEST_VERSION });
  });

  test('/readyz: a database that cannot be reached is "database unreachable" (503), not "migrations pending"', async () => {
    const down = await openPostgres('postgres://127.0.0.1:1/nothing', 1, { prefix: 'public' });
    try {
      const cut = createApp({ db: down, log: silentLog, config: testConfig(), services: app.services });
      const ready = await cut.fetch('http://localhost/readyz');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'database unreachable' });
    } finally {
      await down.close();
    }
  });

  test('introspection lists every contract type, with uuid and a Relay id, and the Error interface', async () => {
    const response = await app.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: getIntrospectionQuery() }),
    });
    const { data } = (await response.json()) as { data: IntrospectionQuery };
    const types = new Map(data.__schema.types.map((t) => [t.name, t]));
    for (const name of CONTRACT_TYPES) {
      const type = types.get(name);
      expect(type?.kind, name).toBe('OBJECT');
      const fields = type && 'fields' in type ? type.fields.map((f) => f.name) : [];
      expect(fields, name).toEqual(expect.arrayContaining(['id', 'uuid']));
    }
    for (const scalar of ['UUID', 'DateTime', 'JSON']) expect(types.get(scalar)?.kind).toBe('SCALAR');
    const error = types.get('Error');
    expect(error?.kind).toBe('INTERFACE');
    expect(error && 'fields' in error ? error.fields.map((f) => f.name).sort() : []).toEqual(['code', 'message']);
  });

  test('a malformed multipart body is the client\'s error (400), and the server keeps serving', async () => {
    const response = await app.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz', ...owner.headers },
      body: JSON.stringify({ query: '{ me { uuid } }' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('BAD_REQUEST');
    expect((await execute(app, MeDocument, {}, owner.headers)).data?.me?.uuid).toBe(owner.uuid);
  });

  test('a JSON body over the limit is refused (413) with or without a Content-Length; a chunked one under it is served', async () => {
    /** `{"query":"{ me { uuid } }"}` padded with JSON whitespace to `bytes`, sent in 1 MiB chunks without a length. */
    const chunked = (bytes: number) => {
      const head = Buffer.from(JSON.stringify({ query: '{ me { uuid } }' }).slice(0, -1));
      let left = bytes - head.length - 1;
      return new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(head));
        },
        pull(controller) {
          if (left <= 0) {
            controller.enqueue(new TextEncoder().encode('}'));
            controller.close();
            return;
          }
          const n = Math.min(left, 1024 * 1024);
          left -= n;
          controller.enqueue(new Uint8Array(n).fill(0x20));
        },
      });
    };
    const post = (body: ReadableStream<Uint8Array> | string, extra: Record<string, string> = {}) =>
      app.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...owner.headers, ...extra },
        body,
        duplex: 'half',
      } as RequestInit);
    const small = await post(chunked(MAX_JSON_BODY_BYTES - 1000));
    expect(small.status).toBe(200);
    expect(((await small.json()) as { data: { me: { uuid: string } } }).data.me.uuid).toBe(owner.uuid);
    const big = await post(chunked(MAX_JSON_BODY_BYTES + 1));
    expect(big.status).toBe(413);
    const declared = await post(JSON.stringify({ query: '{ me { uuid } }' }), { 'content-length': String(MAX_JSON_BODY_BYTES + 1) });
    expect(declared.status).toBe(413);
    expect((await execute(app, MeDocument, {}, owner.headers)).data?.me?.uuid).toBe(owner.uuid);
  });

  test('over a socket, a chunked JSON body past the limit gets its 413 (the connection is not reset under the client)', async () => {
    const server = await startHttpServer(app);
    try {
      const answer = await new Promise<string>((resolve) => {
        const req = httpRequest(`${server.origin}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', ...owner.headers },
        });
        let answered = false;
        req.on('response', (res) => {
          answered = true;
          res.resume();
          resolve(`HTTP ${res.statusCode}`);
        });
        req.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`));
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        void (async () => {
          req.write('{"query":"{ me { uuid } }"');
          for (let sent = 0; !answered && sent < 2 * MAX_JSON_BODY_BYTES; sent += chunk.length) {
            if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
          }
          if (!answered) req.end('}');
        })();
      });
      expect(answer).toBe('HTTP 413');
    } finally {
      await server.close();
    }
  });

  test('a Host header that makes no URL is a plain 400 (no stack trace), and the server keeps serving', async () => {
    const server = await startHttpServer(app);
    try {
      for (const host of ['a b', '[::1', '%%%']) {
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = connect(server.port, '127.0.0.1', () => {
            socket.end(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
          });
          let text = '';
          socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
          socket.on('end', () => resolve(text));
          socket.on('error', reject);
        });
        expect(answer.split('\r\n')[0], host).toBe('HTTP/1.1 400 Bad Request');
        expect(answer, host).toMatch(/\r\n\r\nBad request\n$/);
      }
      const healthy = await fetch(`${server.origin}/healthz`);
      expect(healthy.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  test('GET with variables or extensions that are not JSON is a BAD_REQUEST (400), not an unexpected error', async () => {
    for (const param of ['variables=%7B', 'extensions=%7Bx']) {
      const response = await app.fetch(`http://localhost/graphql?query=%7B__typename%7D&${param}`, {
        headers: { accept: 'application/graphql-response+json' },
      });
      expect(response.status, param).toBe(400);
      expect(await response.json(), param).toEqual({
        errors: [{ message: 'Malformed request parameters', extensions: { code: 'BAD_REQUEST' } }],
      });
    }
  });

  test('a body that is not JSON is a short BAD_REQUEST that quotes none of it, with or without a Content-Length', async () => {
    const notJson = `{${'x'.repeat(1024 * 1024)}`;
    const sent = [
      { body: notJson, headers: { 'content-length': String(notJson.length) } },
      { body: new Blob([notJson]).stream(), headers: {} }, // chunked
    ];
    for (const { body, headers } of sent) {
      const response = await app.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...owner.headers, ...headers },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(text.length).toBeLessThan(500);
      expect(JSON.parse(text)).toEqual({ errors: [{ message: 'POST body sent invalid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
    }
  });

  test('GraphiQL is served to browsers', async () => {
    const response = await app.fetch('http://localhost/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('GraphiQL');
  });

  test('deny by default: anonymous requests get null for me and UNAUTHENTICATED for lists', async () => {
    expect((await execute(app, MeDocument)).data).toEqual({ me: null });
    const roles = await execute(app, RolesDocument);
    expect(roles.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const asAdmin = await execute(app, RolesDocument, {}, owner.headers);
    expect(asAdmin.data?.roles.edges.map((e) => e.node.name).sort()).toEqual(['Admin', 'Owner', 'User']);
  });

  test('files with their user, roles, instances, locations and buckets: a constant number of SQL statements', async () => {
    const { prisma } = backend.database;
    const bucket = await prisma.bucket.findFirstOrThrow();
    const role = await prisma.role.findFirstOrThrow({ where: { name: 'User' } });
    for (let i = 0; i < 100; i++) {
      const owner = await prisma.user.create({ data: { email: `o${i}-${randomUUID()}@test.local`, hashedPassword: 'x' } });
      await prisma.roleAssignment.create({ data: { userUuid: owner.uuid, roleUuid: role.uuid } });
      await prisma.file.create({
        data: {
          originalFileName: `f${i}.png`, fileName: `f${i}.png`, mimeType: 'image/png', fileType: 'image', ext: 'png',
          fileChecksum: `c${i}`, userFileChecksum: randomUUID(), size: BigInt(1000 + i), status: 'active', userUuid: owner.uuid,
          instances: {
            create: ['original', 'thumbnail'].map((variantName) => ({
              variantName, fileName: `k/${i}/${variantName}`, mimeType: 'image/png', ext: 'png', checksum: `c${i}`,
              size: 10n, processingStatus: 'completed',
              locations: { create: [{ path: `k/${i}/${variantName}`, bucketUuid: bucket.uuid }] },
            })),
          },
        },
      });
    }
    const count = async (first: number) => {
      const before = backend.queries.length;
      const result = await execute(app, FilesDocument, { first }, owner.headers);
      expect(result.errors).toBeUndefined();
      expect(result.data?.files.edges).toHaveLength(first);
      return { statements: backend.queries.length - before, result };
    };
    const ten = await count(10);
    const hundred = await count(100);
    expect(hundred.statements).toBe(ten.statements);
    // one statement for the session (viewer, roles, permissions) and one for the whole page with its relations
    expect(hundred.statements).toBe(2);
    const first = hundred.result.data!.files.edges[0]!.node;
    expect(first.instances.map((i) => i.variantName)).toEqual(['original', 'thumbnail']);
    expect(first.instances[0]!.locations[0]!.bucket.name).toBe('Local Storage');
    expect(first.user?.roles.map((r) => r.name)).toEqual(['User']);
    expect(first.size).toBe(1099); // newest first
  });
});

test('the Prisma client honours a non-default prefix on both database kinds', async () => {
  for (const [, open] of backends) {
    const backend = await open({ prefix: 'tenant_a' });
    try {
      const user = await backend.database.prisma.user.create({ data: { email: `t-${randomUUID()}@test.local`, hashedPassword: 'x' } });
      const rows = await backend.database.sql.query(`SELECT 1 FROM tenant_a.phoenix_kit_users WHERE uuid = $1`, [user.uuid]);
      expect(rows).toHaveLength(1);
      const roles = await backend.database.prisma.role.count();
      expect(roles).toBe(3);
    } finally {
      await backend.close();
    }
  }
});
