import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { localBucketRoot } from '../../src/storage/storage-registry.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { gql } from '../helpers/content.js';
import { execute } from '../helpers/execute.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';
import { pathOf, tempDataDir } from '../helpers/upload.js';
import { drain, newLocalBucket, objectsOf, only, readBack, upload, violations, type Uploaded } from '../helpers/storage-checks.js';

const FILE = gql(`query($uuid: UUID!) { file(uuid: $uuid) { uuid dziUrl } }`);

describe.each(backends)('drain and the storage behind it, on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let owner: TestUser;
  let alice: TestUser;
  let s3: S3TestServer;

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    owner = await signUp(app);
    alice = await signUp(app);
    s3 = await startS3Server({ bucket: 'drainstore' });
  });
  afterAll(async () => {
    await backend.close();
    await s3.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    if (!s3.isRunning()) await s3.start();
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
    for (const { uuid } of await db.file.findMany({ where: { parentFileUuid: null }, select: { uuid: true } })) {
      await app.services.files.remove(null, uuid);
    }
  });

  test('the copy elsewhere is recorded but its bytes are gone: the drain does not delete the last bytes of the file', async () => {
    const [kept, retiring] = [await newLocalBucket(app, 'Kept'), await newLocalBucket(app, 'Retiring')];
    await only(app, db, kept, retiring);
    const data = randomBytes(30_000);
    const file = await upload(app, alice, data);
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '1' });
    await only(app, db, kept);
    // the copy in Kept is lost (a volume restored from an old backup, an object deleted by hand): its row still says active
    const keptRow = await db.bucket.findUniqueOrThrow({ where: { uuid: kept } });
    const [key] = (await objectsOf(db, dataDir, kept))!;
    await rm(join(localBucketRoot(keptRow.endpoint, dataDir), key!));
    expect(await objectsOf(db, dataDir, retiring)).toHaveLength(1);

    const report = await drain(app, retiring, owner);
    // the copy elsewhere is checked in its storage before this one goes: found missing, it is marked, and this one stays
    expect({ report, retiringObjects: (await objectsOf(db, dataDir, retiring))!.length }).toEqual({
      report: { __typename: 'MutationDrainBucketSuccess', data: { copiesAdded: 0, removed: 0, remaining: 1 } },
      retiringObjects: 1,
    });
    expect((await readBack(app, file.url)).status).not.toBe(200); // unreadable while its only copy is in a disabled bucket
    expect(await db.fileLocation.findFirst({ where: { bucketUuid: kept }, select: { status: true } })).toEqual({ status: 'failed' });
  });

  test('another bucket down (S3 stopped): nothing copied there, its copies still count, no bytes lost', async () => {
    const [kept, retiring] = [await newLocalBucket(app, 'Kept'), await newLocalBucket(app, 'Retiring')];
    const remote = (await app.services.buckets.create({ name: `S3 ${Date.now()}`, ...s3.connection(), pathPrefix: `remote${Date.now()}` })).uuid;
    await only(app, db, kept, retiring);
    const bodies = [randomBytes(10_000), randomBytes(11_000)];
    const files: Uploaded[] = [];
    for (const data of bodies) files.push(await upload(app, alice, data));
    await only(app, db, kept, remote);
    await s3.stop();
    const report = await drain(app, retiring, owner);
    expect(report).toMatchObject({ __typename: 'MutationDrainBucketSuccess', data: { copiesAdded: 0, removed: 0, remaining: 2 } });
    await s3.start();
    expect(await drain(app, retiring, owner)).toMatchObject({ data: { copiesAdded: 2, removed: 2, remaining: 0 } });
    for (const [i, f] of files.entries()) expect((await readBack(app, f.url)).body.equals(bodies[i]!)).toBe(true);
    expect(await violations(db, dataDir, [s3])).toEqual([]);
    await only(app, db, kept);
    await app.services.buckets.remove(retiring);
  });

  test('the drained bucket itself unreachable (S3 stopped): rows go, bytes stay until the storage sweep', async () => {
    const kept = await newLocalBucket(app, 'Kept');
    const dying = (await app.services.buckets.create({ name: `Dying ${Date.now()}`, ...s3.connection(), pathPrefix: `dying${Date.now()}` })).uuid;
    await only(app, db, kept, dying);
    const data = randomBytes(20_000);
    const file = await upload(app, alice, data);
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '1' });
    await only(app, db, kept);
    await s3.stop();
    const report = await drain(app, dying, owner);
    await s3.start();
    // bytes in its storage that no row points at are the storage sweep's (run it before deleting the bucket)
    expect(report).toMatchObject({ data: { removed: 1, remaining: 0 } });
    expect((await objectsOf(db, dataDir, dying, [s3]))!.filter((k) => k.startsWith('blobs/'))).toHaveLength(1);
    expect((await readBack(app, file.url)).body.equals(data)).toBe(true);
    await app.services.buckets.remove(dying);
  });

  test('an image with tiles and variants: system files are moved too and the bucket empties', async () => {
    await app.services.settings.update({ key: 'storage_tile_generation_enabled', value: 'true' });
    const [kept, retiring, fresh] = [await newLocalBucket(app, 'Kept'), await newLocalBucket(app, 'Retiring'), await newLocalBucket(app, 'Fresh')];
    await only(app, db, kept, retiring);
    const jpeg = await sharp({ create: { width: 700, height: 500, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
      .jpeg({ quality: 80 })
      .toBuffer();
    const image = await upload(app, alice, jpeg, 'photo.jpg');
    await app.services.media.processFile(image.uuid, { final: true });
    expect(await db.fileInstance.count({ where: { fileUuid: image.uuid } })).toBeGreaterThan(1);
    const dzi = (await execute(app, FILE, { uuid: image.uuid }, alice.headers)).data?.file?.dziUrl as string;
    expect(dzi).toBeTruthy();
    // the manifest and a few tiles: system files written beside the original
    expect((await app.fetch(`http://localhost${pathOf(dzi)}`)).status).toBe(200);
    const tiles = ['0/0_0', '9/0_0', '10/1_1', '10/0_0'].map((t) => dzi.replace(/\.dzi$/, `_files/${t}.jpg`));
    for (const t of tiles) expect((await app.fetch(`http://localhost${pathOf(t)}`)).status).toBe(200);
    await app.services.tiles.settled();
    const systemCopies = await db.fileLocation.count({ where: { bucketUuid: retiring, fileInstance: { file: { systemManaged: true } } } });
    expect(systemCopies).toBeGreaterThan(0);

    await only(app, db, kept, fresh);
    const report = await drain(app, retiring, owner);
    expect(report).toMatchObject({ __typename: 'MutationDrainBucketSuccess', data: { remaining: 0 } });
    expect(await objectsOf(db, dataDir, retiring)).toEqual([]);
    for (const t of tiles) expect((await app.fetch(`http://localhost${pathOf(t)}`)).status).toBe(200);
    expect((await readBack(app, image.url)).body.equals(jpeg)).toBe(true);
    expect(await violations(db, dataDir, [s3])).toEqual([]);
  });
});
