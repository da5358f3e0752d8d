import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { gql } from '../helpers/content.js';
import type { S3TestServer } from '../helpers/s3.js';
import { eventually, listS3rverKeys, uploadVia } from '../helpers/upload.js';
import { openBehindProxy, type holdingProxy } from '../helpers/storage-proxy.js';

// A copy still being written once the body has been read and another copy has landed gets a grace period
// (UPLOAD_COPY_GRACE_MS at least); then the upload answers with the copies that landed, and the late copy is removed if
// it lands after all. A bucket that takes requests and never answers must not hold the upload for the storage client's
// timeouts (3 tries of 30 s).

const UPLOAD = gql(`mutation($input: UploadFileInput!) { uploadFile(input: $input) {
  __typename ... on MutationUploadFileSuccess { data { file { uuid url copies underReplicated
    instances { locations { bucket { uuid } } } } } } ... on Error { code message } } }`);

describe.each(backends)('an upload and a copy that does not finish, on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let user: TestUser;
  let dataDir: string;
  let s3: S3TestServer;
  let proxy: Awaited<ReturnType<typeof holdingProxy>>;
  let setup: Awaited<ReturnType<typeof openBehindProxy>>;
  let local: string;
  let slow: string;

  beforeAll(async () => {
    setup = await openBehindProxy(open, 'stragglers', { UPLOAD_COPY_GRACE_MS: '200' });
    ({ backend, db, app, dataDir, s3, proxy } = setup);
    user = await signUp(app);
    local = (await db.bucket.findFirstOrThrow({ where: { name: 'Local Storage' } })).uuid;
    slow = await setup.slowBucket('Behind a proxy');
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
  });
  afterAll(() => setup.close());

  test('the upload answers with the copy that landed; the late copy is removed when it lands; repair restores it', async () => {
    const data = randomBytes(64 * 1024);
    proxy.hold();
    const result = await uploadVia(app, UPLOAD, { name: 'late.bin', data }, { headers: user.headers });
    // answered while the bucket's request is still unanswered: not after the storage client gave up on it
    const waitingAtAnswer = proxy.waiting();
    expect(result.data.uploadFile).toMatchObject({ __typename: 'MutationUploadFileSuccess', data: { file: { copies: 1, underReplicated: true } } });
    expect(waitingAtAnswer).toBe(1);
    const file = result.data.uploadFile.data.file as {
      uuid: string;
      url: string;
      instances: Array<{ locations: Array<{ bucket: { uuid: string } }> }>;
    };
    expect(file.instances[0]!.locations.map((l) => l.bucket.uuid)).toEqual([local]);
    const read = await app.fetch(`http://localhost${new URL(file.url).pathname}`);
    expect(read.status).toBe(200);
    expect(Buffer.from(await read.arrayBuffer()).equals(data)).toBe(true);

    // the held write goes through after all: its object is removed, and nothing is left in the bucket
    const put = proxy.log.find((e) => e.method === 'PUT');
    expect(put?.path).toMatch(/\/stragglers\/tmp\/[0-9a-f-]{36}$/);
    proxy.release();
    expect(await eventually(async () => proxy.log.some((e) => e.method === 'DELETE' && e.path === put!.path && e.status === 204))).toBe(true);
    expect(put!.status).toBe(200);
    expect(await listS3rverKeys(s3.directory, s3.bucket)).toEqual([]);
    expect(await db.fileLocation.count({ where: { bucketUuid: slow } })).toBe(0);

    const report = await app.services.replication.repair();
    expect(report).toMatchObject({ copiesAdded: 1, stillUnderReplicated: 0 });
    const copies = await db.fileLocation.findMany({ where: { fileInstance: { fileUuid: file.uuid } }, select: { bucketUuid: true } });
    expect(copies.map((c) => c.bucketUuid).sort()).toEqual([local, slow].sort());
    expect(await listS3rverKeys(s3.directory, s3.bucket)).toHaveLength(1);
  });
});
