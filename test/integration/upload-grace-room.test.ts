import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import type { S3TestServer } from '../helpers/s3.js';
import { newLocalBucket, only, readBack, sleep, uploadAs, violations } from '../helpers/storage-checks.js';
import { openBehindProxy, type holdingProxy } from '../helpers/storage-proxy.js';

// Upload copy grace: a copy that lands in a bucket too small for the file's exact size is dropped afterwards, so it
// does not start the grace of the others (the copy given up would have been the only one that could be kept).

describe.each(backends)('upload grace when the landed copy cannot be kept, on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let s3: S3TestServer;
  let proxy: Awaited<ReturnType<typeof holdingProxy>>;
  let setup: Awaited<ReturnType<typeof openBehindProxy>>;
  let user: TestUser;
  let small: string;
  let slow: string;

  beforeAll(async () => {
    setup = await openBehindProxy(open, 'graceroom', { UPLOAD_COPY_GRACE_MS: '200' });
    ({ backend, db, app, dataDir, s3, proxy } = setup);
    user = await signUp(app);
    // a 1 MiB local bucket, and an S3 bucket without a limit
    small = await newLocalBucket(app, 'Small', { maxSizeMb: 1 });
    slow = await setup.slowBucket('Roomy S3');
    await only(app, db, small, slow);
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
  });
  afterAll(() => setup.close());
  beforeEach(async () => {
    for (const { uuid } of await db.file.findMany({ where: { parentFileUuid: null }, select: { uuid: true } })) {
      await app.services.files.remove(null, uuid);
    }
  });

  // a little over 1 MiB: the estimate (Content-Length less 64 KiB) fits the small bucket, the exact size does not
  const size = 1024 * 1024 + 20_000;

  test('control: with an S3 bucket answering at once, the file is stored in the S3 bucket', async () => {
    const data = randomBytes(size);
    const result = await uploadAs(app, user, data);
    expect(result.data?.uploadFile).toMatchObject({ __typename: 'MutationUploadFileSuccess', data: { file: { copies: 1 } } });
    const file = result.data!.uploadFile.data.file;
    expect((await readBack(app, file.url)).body.equals(data)).toBe(true);
    expect(await violations(db, dataDir, [s3])).toEqual([]);
  });

  test('the S3 bucket answers 1.5 s late: the upload still stores the file there (the small bucket cannot keep it)', async () => {
    const data = randomBytes(size);
    proxy.hold((req) => req.method === 'PUT');
    const releasing = sleep(1_500).then(() => proxy.release());
    const result = await uploadAs(app, user, data);
    await releasing;
    // now: { __typename: 'BucketUnavailableError', code: 'BUCKET_UNAVAILABLE', message: 'all buckets are full' }: the
    // S3 copy was given up 200 ms after the small bucket's copy landed, and that copy was then dropped for its size
    expect(result.data?.uploadFile).toMatchObject({ __typename: 'MutationUploadFileSuccess', data: { file: { copies: 1 } } });
    await sleep(500);
    expect(await violations(db, dataDir, [s3])).toEqual([]);
  });
});
