import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import type { S3TestServer } from '../helpers/s3.js';
import { newLocalBucket, only, readBack, sleep, uploadAs, violations } from '../helpers/storage-checks.js';
import { openBehindProxy, type holdingProxy } from '../helpers/storage-proxy.js';

// A copy given up by the upload grace either lands (and is removed) or fails (and leaves nothing). For a file written
// to S3 in parts, a copy given up while some of the body was still buffered on its way to the S3 writer leaves no
// multipart upload that is neither completed nor aborted.

describe.each(backends)('a multipart S3 copy given up by the grace, on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let s3: S3TestServer;
  let proxy: Awaited<ReturnType<typeof holdingProxy>>;
  let setup: Awaited<ReturnType<typeof openBehindProxy>>;
  let user: TestUser;
  let local: string;
  let slow: string;

  beforeAll(async () => {
    setup = await openBehindProxy(open, 'gracemulti', { UPLOAD_COPY_GRACE_MS: '200' });
    ({ backend, db, app, dataDir, s3, proxy } = setup);
    user = await signUp(app);
    local = await newLocalBucket(app, 'Fast local');
    slow = await setup.slowBucket('Slow S3');
    await only(app, db, local, slow);
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
  });
  afterAll(() => setup.close());

  test('16.5 MiB, the S3 bucket answers 3 s late: the given-up multipart upload is completed (then removed) or aborted', async () => {
    const data = randomBytes(16 * 1024 * 1024 + 512 * 1024);
    proxy.hold();
    const result = await uploadAs(app, user, data, 'big.bin');
    expect(result.data?.uploadFile).toMatchObject({ __typename: 'MutationUploadFileSuccess', data: { file: { copies: 1 } } });
    await sleep(3_000);
    proxy.release();
    await sleep(5_000);
    const requests = proxy.log.map((e) => `${e.method} ${e.url.replace(/uploadId=[^&]+/, 'uploadId=…').replace(/[0-9a-f-]{36}/, '<uuid>')} ${e.status}`);
    const initiated = proxy.log.some((e) => e.method === 'POST' && e.url.includes('?uploads'));
    // completed (POST ?uploadId) and then its object removed, or aborted (DELETE ?uploadId)
    const finished = proxy.log.some((e) => (e.method === 'POST' || e.method === 'DELETE') && e.url.includes('uploadId='));
    // now: POST ?uploads, PUT part 1, PUT part 2 and nothing else, however long one waits: the writer waits for the
    // rest of a body whose stream was destroyed, so its put() never settles and the multipart upload stays open
    expect({ initiated, finished, requests }).toMatchObject({ initiated: true, finished: true });
    const file = result.data!.uploadFile.data.file;
    expect((await readBack(app, file.url)).body.equals(data)).toBe(true);
    expect(await violations(db, dataDir, [s3])).toEqual([]);
  });
});
