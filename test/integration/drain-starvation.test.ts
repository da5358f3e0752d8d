import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { tempDataDir } from '../helpers/upload.js';
import { drain, newLocalBucket, objectsOf, only, readBack, upload, type Uploaded } from '../helpers/storage-checks.js';

// A repair takes on 10,000 short objects at a time, oldest first. Objects that no repair can help (their every copy is
// in a bucket switched off long ago: listed, and waiting until one is enabled again) must not fill that list, and a
// drain repairs the objects of the bucket being drained, whatever else is short.

describe.each(backends)('drain behind 10,000 objects no repair can help, on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let owner: TestUser;
  let alice: TestUser;

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    owner = await signUp(app);
    alice = await signUp(app);
  });
  afterAll(async () => {
    await backend.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('the bucket being drained still gets its copies elsewhere and empties', async () => {
    const archive = await newLocalBucket(app, 'Archive', { enabled: false });
    // 10,000 old files kept only in the switched-off archive (rows only: that bucket is never read)
    await db.$executeRawUnsafe(`
      WITH f AS (
        INSERT INTO phoenix_kit_files (original_file_name, file_name, file_path, mime_type, file_type, ext, file_checksum,
                                       user_file_checksum, size, status, user_uuid)
        SELECT 'old' || g || '.bin', md5(g::text) || '.bin', 'blobs/old', 'application/octet-stream', 'other', 'bin',
               md5(g::text) || md5('x' || g), md5('${alice.uuid}' || g), 10, 'active', '${alice.uuid}'::uuid
          FROM generate_series(1, 10000) AS g
        RETURNING uuid, file_checksum),
      i AS (
        INSERT INTO phoenix_kit_file_instances (variant_name, file_name, mime_type, ext, checksum, size, processing_status, file_uuid)
        SELECT 'original', 'blobs/old/' || f.file_checksum, 'application/octet-stream', 'bin', f.file_checksum, 10, 'completed', f.uuid FROM f
        RETURNING uuid, file_name)
      INSERT INTO phoenix_kit_file_locations (path, status, priority, file_instance_uuid, bucket_uuid)
      SELECT i.file_name, 'active', 0, i.uuid, '${archive}'::uuid FROM i`);

    const [kept, retiring, fresh] = [await newLocalBucket(app, 'Kept'), await newLocalBucket(app, 'Retiring'), await newLocalBucket(app, 'Fresh', { enabled: false })];
    await only(app, db, kept, retiring);
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
    const bodies = [randomBytes(10_000), randomBytes(11_000), randomBytes(12_000)];
    const files: Uploaded[] = [];
    for (const data of bodies) files.push(await upload(app, alice, data));
    await only(app, db, kept, fresh);

    const first = await drain(app, retiring, owner);
    const second = await drain(app, retiring, owner);
    expect({ first, second }).toEqual({
      first: { __typename: 'MutationDrainBucketSuccess', data: { copiesAdded: 3, removed: 3, remaining: 0 } },
      second: { __typename: 'MutationDrainBucketSuccess', data: { copiesAdded: 0, removed: 0, remaining: 0 } },
    });
    expect(await objectsOf(db, dataDir, retiring)).toEqual([]);
    for (const [i, f] of files.entries()) expect((await readBack(app, f.url)).body.equals(bodies[i]!)).toBe(true);
  });
});
