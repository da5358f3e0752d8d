import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import type { S3TestServer } from '../helpers/s3.js';
import { drain, newLocalBucket, only, readBack, sleep, upload, violations } from '../helpers/storage-checks.js';
import { openBehindProxy, type holdingProxy } from '../helpers/storage-proxy.js';

// A drain waits on the per-object locks other operations hold (uploads, deletions releasing bytes). Those operations
// may hold a lock for a while (a deletion waits on the storage holding the bytes; an upload on a server-side copy),
// and they give themselves 60-120 s for it: the drain waits as well, and does not fail.

describe.each(backends)('drain while another operation holds an object lock, on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let s3: S3TestServer;
  let proxy: Awaited<ReturnType<typeof holdingProxy>>;
  let setup: Awaited<ReturnType<typeof openBehindProxy>>;
  let owner: TestUser;
  let alice: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    setup = await openBehindProxy(open, 'drainlock');
    ({ backend, db, app, dataDir, s3, proxy } = setup);
    owner = await signUp(app);
    alice = await signUp(app);
    carol = await signUp(app);
  });
  afterAll(() => setup.close());

  test('a deletion releasing the same bytes from a slow bucket: the drain waits for it and empties the bucket', async () => {
    const [kept, retiring] = [await newLocalBucket(app, 'Kept'), await newLocalBucket(app, 'Retiring')];
    const slow = await setup.slowBucket('Slow S3');
    const data = randomBytes(50_000);

    // Carol's copy of the bytes is in the S3 bucket only; Alice's in Kept and Retiring
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '1' });
    await only(app, db, slow);
    const carols = await upload(app, carol, data);
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
    await only(app, db, kept, retiring);
    const alices = await upload(app, alice, data);
    expect(alices.copies).toBe(2);
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '1' });
    await only(app, db, kept, slow);

    // Carol deletes her file while the S3 bucket is slow to answer the DELETE of its bytes (held 8 s)
    proxy.hold((req) => req.method === 'DELETE');
    const deletion = app.services.files.remove(null, carols.uuid);
    await expect.poll(() => proxy.held(), { timeout: 10_000 }).toBe(1);
    const draining = drain(app, retiring, owner);
    await sleep(8_000);
    proxy.release();
    await deletion;
    // the drain's batch transaction waited 8 s for the object lock (Prisma's default would have given up after 5 s)
    expect(await draining).toEqual({ __typename: 'MutationDrainBucketSuccess', data: { copiesAdded: 0, removed: 1, remaining: 0 } });
    expect((await readBack(app, alices.url)).status).toBe(200);
    expect(await violations(db, dataDir, [s3])).toEqual([]);
  });
});
