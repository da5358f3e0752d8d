import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { localBucketRoot } from '../../src/storage/storage-registry.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { gql } from '../helpers/content.js';
import { execute } from '../helpers/execute.js';
import { listTree, pathOf, tempDataDir, uploadVia } from '../helpers/upload.js';
import { newLocalBucket, only as enableOnly } from '../helpers/storage-checks.js';

// drainBucket empties a disabled bucket so deleteBucket can take it: what is short is copied to enabled buckets first,
// then each copy there goes once its bytes have storage_redundancy_copies readable copies elsewhere.

const UPLOAD = gql(`mutation($input: UploadFileInput!) { uploadFile(input: $input) {
  __typename ... on MutationUploadFileSuccess { data { file { uuid url } } } ... on Error { code message } } }`);
const DRAIN = gql(`mutation($input: DrainBucketInput!) { drainBucket(input: $input) {
  __typename ... on MutationDrainBucketSuccess { data { copiesAdded removed remaining } } ... on Error { code message } } }`);
const DELETE = gql(`mutation($input: DeleteBucketInput!) { deleteBucket(input: $input) {
  __typename ... on MutationDeleteBucketSuccess { data } ... on Error { code message } } }`);

describe.each(backends)('draining a bucket on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let owner: TestUser;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    owner = await signUp(app);
    alice = await signUp(app);
    bob = await signUp(app);
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
  });
  afterAll(async () => {
    await backend.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    for (const { uuid } of await db.file.findMany({ where: { parentFileUuid: null }, select: { uuid: true } })) {
      await app.services.files.remove(null, uuid);
    }
  });

  const newBucket = (name: string, enabled = true) => newLocalBucket(app, name, { enabled });
  const only = (...uuids: string[]) => enableOnly(app, db, ...uuids);

  const blobsIn = async (uuid: string) => {
    const row = await db.bucket.findUniqueOrThrow({ where: { uuid } });
    return (await listTree(localBucketRoot(row.endpoint, dataDir))).filter((p) => p.startsWith('blobs/')).sort();
  };

  async function upload(user: TestUser, data: Buffer) {
    const result = await uploadVia(app, UPLOAD, { name: 'f.bin', data }, { headers: user.headers });
    if (result.data.uploadFile.__typename !== 'MutationUploadFileSuccess') throw new Error(JSON.stringify(result));
    return result.data.uploadFile.data.file as { uuid: string; url: string };
  }

  async function readable(url: string, data: Buffer) {
    const response = await app.fetch(`http://localhost${pathOf(url)}`);
    return response.status === 200 && Buffer.from(await response.arrayBuffer()).equals(data);
  }

  const drain = async (uuid: string, as = owner) => (await execute(app, DRAIN, { input: { uuid } }, as.headers)).data?.drainBucket;
  const copiesIn = (uuid: string) => db.fileLocation.count({ where: { bucketUuid: uuid } });

  test('short bytes are copied elsewhere first, then the copies and bytes go and the bucket can be deleted', async () => {
    const [kept, retiring, fresh] = [await newBucket('Kept'), await newBucket('Retiring'), await newBucket('Fresh', false)];
    await only(kept, retiring);
    const bodies = [randomBytes(40_000), randomBytes(50_000), randomBytes(60_000)];
    const files = [];
    for (const data of bodies) files.push({ data, file: await upload(alice, data) });
    // another user's file of the same bytes: a second row pointing at one object
    files.push({ data: bodies[0]!, file: await upload(bob, bodies[0]!) });
    expect(await copiesIn(retiring)).toBe(4);
    expect(await blobsIn(retiring)).toHaveLength(3);

    await only(kept, fresh);
    expect(await drain(retiring)).toEqual({ __typename: 'MutationDrainBucketSuccess', data: { copiesAdded: 4, removed: 4, remaining: 0 } });
    expect(await copiesIn(retiring)).toBe(0);
    expect(await blobsIn(retiring)).toEqual([]);
    expect(await blobsIn(fresh)).toEqual(await blobsIn(kept));
    for (const { data, file } of files) {
      expect(await readable(file.url, data)).toBe(true);
      const where = await db.fileLocation.findMany({ where: { fileInstance: { fileUuid: file.uuid } }, select: { bucketUuid: true } });
      expect(where.map((l) => l.bucketUuid).sort()).toEqual([kept, fresh].sort());
    }
    expect((await execute(app, DELETE, { input: { uuid: retiring } }, owner.headers)).data?.deleteBucket).toEqual({
      __typename: 'MutationDeleteBucketSuccess',
      data: retiring,
    });
  });

  test('copies whose bytes would fall short stay; the bucket keeps refusing deletion until a later drain finishes', async () => {
    const [kept, retiring] = [await newBucket('Kept'), await newBucket('Retiring')];
    await only(kept, retiring);
    const data = randomBytes(30_000);
    const file = await upload(alice, data);
    await only(kept);
    expect(await drain(retiring)).toMatchObject({ data: { copiesAdded: 0, removed: 0, remaining: 1 } });
    expect(await blobsIn(retiring)).toHaveLength(1);
    expect((await execute(app, DELETE, { input: { uuid: retiring } }, owner.headers)).data?.deleteBucket).toMatchObject({
      __typename: 'BucketInUseError',
      code: 'BUCKET_IN_USE',
    });

    const added = await newBucket('Added');
    expect(await drain(retiring)).toMatchObject({ data: { copiesAdded: 1, removed: 1, remaining: 0 } });
    expect(await blobsIn(retiring)).toEqual([]);
    expect(await blobsIn(added)).toHaveLength(1);
    expect(await readable(file.url, data)).toBe(true);
  });

  test('an enabled bucket, an unknown one and a non-admin are refused, and nothing changes', async () => {
    const [kept, enabled] = [await newBucket('Kept'), await newBucket('Enabled')];
    await only(kept, enabled);
    await upload(alice, randomBytes(20_000));
    const before = await db.fileLocation.findMany({ orderBy: { uuid: 'asc' } });
    expect(await drain(enabled)).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    expect(await drain(randomUUID())).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    await only(kept);
    const denied = await execute(app, DRAIN, { input: { uuid: enabled } }, alice.headers);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await db.fileLocation.findMany({ orderBy: { uuid: 'asc' } })).toEqual(before);
  });

  test('two drains, a repair and deletions at once: every file kept is readable with two copies, nothing left in the bucket', async () => {
    const [kept, retiring, fresh] = [await newBucket('Kept'), await newBucket('Retiring'), await newBucket('Fresh', false)];
    await only(kept, retiring);
    const files = [];
    for (let i = 0; i < 12; i++) {
      const data = randomBytes(10_000 + i);
      files.push({ data, file: await upload(i % 2 ? alice : bob, data) });
    }
    await only(kept, fresh);
    const deleted = files.filter((_, i) => i % 3 === 0);
    const [first, second] = await Promise.all([
      drain(retiring),
      drain(retiring),
      app.services.replication.repair(),
      ...deleted.map(({ file }) => app.services.files.remove(null, file.uuid)),
    ]);
    expect(first).toMatchObject({ __typename: 'MutationDrainBucketSuccess' });
    expect(second).toMatchObject({ __typename: 'MutationDrainBucketSuccess' });
    expect(await copiesIn(retiring)).toBe(0);
    expect(await blobsIn(retiring)).toEqual([]);
    for (const { data, file } of files.filter((f) => !deleted.includes(f))) {
      expect(await readable(file.url, data)).toBe(true);
      const where = await db.fileLocation.findMany({ where: { fileInstance: { fileUuid: file.uuid } }, select: { bucketUuid: true } });
      expect(where.map((l) => l.bucketUuid).sort()).toEqual([kept, fresh].sort());
    }
    // every object in the enabled buckets belongs to a file still there
    const rows = await db.fileLocation.findMany({ where: { bucketUuid: { in: [kept, fresh] } }, select: { bucketUuid: true, path: true } });
    for (const uuid of [kept, fresh]) {
      expect(await blobsIn(uuid)).toEqual(rows.filter((r) => r.bucketUuid === uuid).map((r) => r.path).sort());
    }
  });
});
