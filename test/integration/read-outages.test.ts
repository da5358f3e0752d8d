import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { gql } from '../helpers/content.js';
import { tempDataDir, uploadVia } from '../helpers/upload.js';

// A copy whose bucket fails a read is tried after the file's other copies for a while (per process), so a bucket that
// is down or hangs costs one reader its timeout rather than every reader. The copy is still read when no other opens.

const UPLOAD = gql(`mutation($input: UploadFileInput!) { uploadFile(input: $input) {
  __typename ... on MutationUploadFileSuccess { data { file { uuid url } } } ... on Error { code message } } }`);

/** An S3 endpoint that takes every connection and drops it at once; counts the connections. */
async function droppingServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket: Socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, connections: () => count };
}

describe.each(backends)('reads and a bucket that fails, on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let user: TestUser;
  let dataDir: string;
  let dropping: Awaited<ReturnType<typeof droppingServer>>;
  let failing: string;

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    user = await signUp(app);
    dropping = await droppingServer();
    const bucket = await app.services.buckets.create({
      name: 'Dropping',
      provider: 's3',
      endpoint: `http://127.0.0.1:${dropping.port}`,
      region: 'us-east-1',
      bucketName: 'dropping',
      accessKeyId: 'key',
      secretAccessKey: 'secret',
      enabled: false, // not chosen for uploads; its copy below is put there by hand
    });
    failing = bucket.uuid;
  });
  afterAll(async () => {
    await backend.close();
    await new Promise((resolve) => dropping.server.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A stored file with a second copy, read first by priority, in the failing bucket. */
  async function fileWithFailingCopyFirst(data: Buffer) {
    const uploaded = await uploadVia(app, UPLOAD, { name: 'twice.bin', data }, { headers: user.headers });
    const file = uploaded.data.uploadFile.data.file as { uuid: string; url: string };
    const [local] = await db.fileLocation.findMany({ where: { fileInstance: { fileUuid: file.uuid } } });
    await db.fileLocation.update({ where: { uuid: local!.uuid }, data: { priority: 5 } });
    await db.fileLocation.create({ data: { fileInstanceUuid: local!.fileInstanceUuid, bucketUuid: failing, path: local!.path, priority: 0 } });
    return file;
  }

  async function read(url: string) {
    const response = await app.fetch(`http://localhost${new URL(url).pathname}`);
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  }

  test('after one read fails over, the next reads go to the other copy first; with no other copy it is still tried', async () => {
    const data = randomBytes(6_000);
    const file = await fileWithFailingCopyFirst(data);
    await app.services.buckets.update(failing, { enabled: true }); // enabled after the upload, which goes to the local bucket
    const before = dropping.connections();

    const first = await read(file.url);
    expect(first.status).toBe(200);
    expect(first.body.equals(data)).toBe(true);
    const tried = dropping.connections();
    expect(tried).toBeGreaterThan(before); // the failing copy was tried first

    for (let i = 0; i < 3; i++) {
      const again = await read(file.url);
      expect(again.status).toBe(200);
      expect(again.body.equals(data)).toBe(true);
    }
    expect(dropping.connections()).toBe(tried); // not tried again while the other copy answers

    // the other copy gone from the rows: the failing one is the only copy left, and it is tried
    await db.fileLocation.deleteMany({ where: { fileInstance: { fileUuid: file.uuid }, NOT: { bucketUuid: failing } } });
    expect((await read(file.url)).status).toBe(503);
    expect(dropping.connections()).toBeGreaterThan(tried);
    await db.fileLocation.deleteMany({ where: { fileInstance: { fileUuid: file.uuid } } });
    await app.services.buckets.update(failing, { enabled: false });
  });
});
