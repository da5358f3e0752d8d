import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Bucket } from '../../src/generated/prisma/client.js';
import type { Viewer } from '../../src/graphql/context.js';
import { storageKey } from '../../src/storage/storage-key.js';
import { createTestApp, signUp } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';
import { tempDataDir } from '../helpers/upload.js';

// Buckets while something goes on at their storage: a transfer in flight during an admin's change, a volume that is
// unmounted and comes back.

const MiB = 1024 * 1024;
const open = backends.find(([name]) => name === 'pglite')![1];

let backend: Backend;
let app: App;
let dataDir: string;
let s3: S3TestServer;
let s3Bucket: Bucket;

beforeAll(async () => {
  backend = await open();
  dataDir = tempDataDir();
  app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
  s3 = await startS3Server({ bucket: 'inflight' });
  s3Bucket = await app.services.buckets.create({ name: 'S3 in flight', ...s3.connection() });
});

afterAll(async () => {
  await backend?.close();
  await s3?.close();
  await rm(dataDir, { recursive: true, force: true });
});

test('renaming an S3 bucket (no connection change) does not cut a download in progress from it', async () => {
  const data = randomBytes(32 * MiB);
  const key = storageKey('blobs', 'aa', 'bb', 'download');
  await app.services.buckets.driverFor(s3Bucket).put(key, Readable.from([data]), { contentType: 'application/octet-stream', size: data.length });

  // a file being served from the bucket: the first bytes are out
  const stream = await app.services.buckets.driverFor(s3Bucket).get(key);
  const chunks: Buffer[] = [];
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  chunks.push(first.value as Buffer);

  // meanwhile an admin renames the bucket (README: name may change freely, even while it holds copies)
  await app.services.buckets.update(s3Bucket.uuid, { name: 'S3 renamed' });

  let failure: unknown = null;
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) chunks.push(next.value as Buffer);
  } catch (error) {
    failure = error;
  }
  expect(failure ? String((failure as Error).message ?? failure) : null).toBeNull();
  expect(Buffer.concat(chunks).length).toBe(data.length);
});

test('a local bucket whose directory went away (volume unmounted) stays an outage: a health check or write does not recreate it and turn every copy into "missing"', async () => {
  const db = backend.database.prisma;
  const user = await signUp(app);
  const viewer: Viewer = { uuid: user.uuid, sessionUuid: null, sessionTokenHash: null, roles: [], isOwner: false, isAdmin: false, permissions: new Set() };
  const seeded = await db.bucket.findFirstOrThrow({ where: { name: 'Local Storage' } });
  for (const other of [seeded.uuid, s3Bucket.uuid]) await app.services.buckets.update(other, { enabled: false });
  // the bucket's directory lives on a volume mounted at DATA_DIR/volume
  const bucket = await app.services.buckets.create({ name: 'Volume', provider: 'local', endpoint: 'volume/media' });
  const data = randomBytes(4096);
  const { file } = await app.services.files.upload(
    viewer,
    { filename: 'kept.bin', mimetype: 'application/octet-stream', createReadStream: () => Readable.from([data]) },
    data.length,
  );
  const instance = await db.fileInstance.findFirstOrThrow({ where: { fileUuid: file.uuid, variantName: 'original' } });
  const root = join(dataDir, 'volume/media');

  // the volume is unmounted: its directory is gone (the mount point stays)
  await rename(root, `${root}.unmounted`);
  // a read now is an outage: nothing is marked (as local-driver.ts mapError intends)
  await expect(app.services.files.open(instance)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  expect((await db.fileLocation.findFirstOrThrow({ where: { fileInstanceUuid: instance.uuid } })).status).toBe('active');

  // an admin looks at the buckets page (status { reachable }), or the repair job health-checks the bucket
  const health = await app.services.buckets.health(bucket);
  const recreated = existsSync(root);
  // a read after that
  await app.services.files.open(instance).then((o) => o.stream.destroy(), () => undefined);
  const status = (await db.fileLocation.findFirstOrThrow({ where: { fileInstanceUuid: instance.uuid } })).status;

  // the volume comes back
  await rm(root, { recursive: true, force: true });
  await rename(`${root}.unmounted`, root);
  const readable = await app.services.files.open(instance).then(
    (o) => (o.stream.destroy(), true),
    () => false,
  );

  expect({ health: health.ok, recreated, status, readableAfterRemount: readable }).toEqual({
    health: false,
    recreated: false,
    status: 'active',
    readableAfterRemount: true,
  });
});
