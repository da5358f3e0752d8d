import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import type { S3TestServer } from '../helpers/s3.js';
import { eventually } from '../helpers/upload.js';
import { newLocalBucket, only, readBack, sleep, upload, uploadAs, violations } from '../helpers/storage-checks.js';
import { openBehindProxy, type holdingProxy } from '../helpers/storage-proxy.js';

describe.each(backends)('upload grace: storage invariants, on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let s3: S3TestServer;
  let proxy: Awaited<ReturnType<typeof holdingProxy>>;
  let setup: Awaited<ReturnType<typeof openBehindProxy>>;
  let alice: TestUser;
  let bob: TestUser;
  let local: string;
  let slow: string;

  beforeAll(async () => {
    setup = await openBehindProxy(open, 'graceinv', { UPLOAD_COPY_GRACE_MS: '200' });
    ({ backend, db, app, dataDir, s3, proxy } = setup);
    alice = await signUp(app);
    bob = await signUp(app);
    local = await newLocalBucket(app, 'Local');
    slow = await setup.slowBucket('Slow S3');
    await only(app, db, local, slow);
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
  });
  afterAll(() => setup.close());
  beforeEach(async () => {
    proxy.release();
    proxy.throttle(0);
    for (const { uuid } of await db.file.findMany({ where: { parentFileUuid: null }, select: { uuid: true } })) {
      await app.services.files.remove(null, uuid);
    }
  });

  const quiet = () => eventually(async () => (await violations(db, dataDir, [s3])).length === 0, 15_000, 200);

  test('several MiB through a slow but healthy S3 bucket: given up or not, no bytes without rows, no rows without bytes', async () => {
    proxy.throttle(2 * 1024 * 1024);
    const data = randomBytes(4 * 1024 * 1024);
    const result = await uploadAs(app, alice, data, 'big.bin');
    expect(result.data?.uploadFile?.__typename).toBe('MutationUploadFileSuccess');
    const file = result.data!.uploadFile.data.file;
    expect((await readBack(app, file.url)).body.equals(data)).toBe(true);
    expect(await quiet()).toBe(true);
    proxy.throttle(0);
    await app.services.replication.repair();
    expect(await db.fileLocation.count({ where: { fileInstance: { fileUuid: file.uuid } } })).toBe(2);
    expect(await violations(db, dataDir, [s3])).toEqual([]);
  });

  test('a duplicate of the uploader\'s own file while the S3 bucket hangs: the late temp object goes when it lands', async () => {
    const data = randomBytes(300_000);
    const first = await upload(app, alice, data);
    expect(first.copies).toBe(2);
    proxy.hold((req) => req.method === 'PUT');
    const again = await uploadAs(app, alice, data);
    expect(again.data?.uploadFile).toMatchObject({ data: { duplicate: true, file: { uuid: first.uuid } } });
    await sleep(300);
    proxy.release();
    expect(await quiet()).toBe(true);
  });

  test('another user\'s copy of stored bytes while the S3 bucket hangs: links to the stored copies, the late temp goes', async () => {
    const data = randomBytes(300_000);
    const first = await upload(app, alice, data);
    proxy.hold((req) => req.method === 'PUT');
    const bobs = await uploadAs(app, bob, data);
    expect(bobs.data?.uploadFile).toMatchObject({ data: { duplicate: false, file: { copies: 2 } } });
    await sleep(300);
    proxy.release();
    expect(await quiet()).toBe(true);
    expect((await readBack(app, bobs.data!.uploadFile.data.file.url)).body.equals(data)).toBe(true);
    expect((await readBack(app, first.url)).body.equals(data)).toBe(true);
  });

  test('the late copy lands right after being given up, while the upload commits: nothing left behind', async () => {
    for (let i = 0; i < 4; i++) {
      const data = randomBytes(200_000 + i);
      proxy.hold((req) => req.method === 'PUT');
      const releasing = sleep(150 + i * 40).then(() => proxy.release());
      const result = await uploadAs(app, alice, data);
      await releasing;
      expect(result.data?.uploadFile?.__typename).toBe('MutationUploadFileSuccess');
      expect((await readBack(app, result.data!.uploadFile.data.file.url)).body.equals(data)).toBe(true);
    }
    expect(await quiet()).toBe(true);
    await app.services.replication.repair();
    expect(await violations(db, dataDir, [s3])).toEqual([]);
  });
});
