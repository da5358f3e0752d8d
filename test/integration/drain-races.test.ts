import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';
import { tempDataDir } from '../helpers/upload.js';
import { DELETE_BUCKET, drain, newLocalBucket, objectsOf, only, readBack, upload, uploadAs, violations, type Uploaded } from '../helpers/storage-checks.js';

describe.each(backends)('drain races on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let owner: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    owner = await signUp(app);
    alice = await signUp(app);
    bob = await signUp(app);
    carol = await signUp(app);
  });
  afterAll(async () => {
    await backend.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
    for (const { uuid } of await db.file.findMany({ where: { parentFileUuid: null }, select: { uuid: true } })) {
      await app.services.files.remove(null, uuid);
    }
  });

  const copiesIn = (uuid: string) => db.fileLocation.count({ where: { bucketUuid: uuid } });

  test('drain while other users upload the same bytes (dedup), trash, restore and delete: invariants hold', async () => {
    const [kept, retiring, fresh] = [await newLocalBucket(app, 'Kept'), await newLocalBucket(app, 'Retiring'), await newLocalBucket(app, 'Fresh')];
    await only(app, db, kept, retiring);
    const bodies = Array.from({ length: 12 }, (_, i) => randomBytes(8_000 + i));
    const alices: Uploaded[] = [];
    for (const data of bodies) alices.push(await upload(app, alice, data));
    await only(app, db, kept, fresh);

    const ops: Promise<unknown>[] = [drain(app, retiring, owner)];
    const bobs: Array<Promise<Uploaded>> = [];
    bodies.forEach((data, i) => {
      if (i % 2 === 0) bobs.push(upload(app, bob, data));
      if (i % 3 === 0) ops.push(upload(app, carol, data).then((f) => app.services.files.remove(null, f.uuid)));
      if (i % 4 === 1) ops.push(app.services.files.trash({ uuid: alice.uuid, isAdmin: false } as never, alices[i]!.uuid));
      if (i % 4 === 3) ops.push(app.services.files.remove(null, alices[i]!.uuid));
    });
    ops.push(drain(app, retiring, owner));
    const settled = await Promise.allSettled([...ops, ...bobs]);
    expect(settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([]);

    // a last drain finishes whatever the races left
    expect(await drain(app, retiring, owner)).toMatchObject({ __typename: 'MutationDrainBucketSuccess', data: { remaining: 0 } });
    expect(await objectsOf(db, dataDir, retiring)).toEqual([]);
    for (const [i, file] of alices.entries()) {
      if (i % 4 === 3) continue;
      if (i % 4 === 1) await app.services.files.restore({ uuid: alice.uuid, isAdmin: false } as never, file.uuid);
      const read = await readBack(app, file.url);
      expect({ i, status: read.status, same: read.body.equals(bodies[i]!) }).toEqual({ i, status: 200, same: true });
    }
    for (const [k, bobFile] of (await Promise.all(bobs)).entries()) {
      const read = await readBack(app, bobFile.url);
      expect({ k, status: read.status, same: read.body.equals(bodies[k * 2]!) }).toEqual({ k, status: 200, same: true });
    }
    expect(await violations(db, dataDir)).toEqual([]);
    expect((await execute(app, DELETE_BUCKET, { input: { uuid: retiring } }, owner.headers)).data?.deleteBucket).toMatchObject({
      __typename: 'MutationDeleteBucketSuccess',
    });
  });

  test('uploads in flight while the bucket is disabled and drained: nothing lost, the bucket ends empty', async () => {
    const [kept, retiring] = [await newLocalBucket(app, 'Kept'), await newLocalBucket(app, 'Retiring')];
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '1' });
    await only(app, db, kept, retiring);
    const bodies = Array.from({ length: 10 }, () => randomBytes(200_000));
    // Alice's copies first (on both buckets), then Bob uploads the same bytes while the bucket is switched off and drained
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
    const alices: Uploaded[] = [];
    for (const data of bodies) alices.push(await upload(app, alice, data));
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '1' });
    const bobs = bodies.map((data) => uploadAs(app, bob, data));
    const fresh = bodies.map(() => randomBytes(150_000));
    const carols = fresh.map((data) => uploadAs(app, carol, data));
    await app.services.buckets.update(retiring, { enabled: false });
    const drained = await drain(app, retiring, owner);
    expect(drained).toMatchObject({ __typename: 'MutationDrainBucketSuccess' });
    const results = await Promise.all([...bobs, ...carols]);
    for (const r of results) expect(r.data?.uploadFile?.__typename).toBe('MutationUploadFileSuccess');
    expect(await drain(app, retiring, owner)).toMatchObject({ data: { remaining: 0 } });
    expect(await copiesIn(retiring)).toBe(0);
    expect(await objectsOf(db, dataDir, retiring)).toEqual([]);
    for (const [i, r] of results.entries()) {
      const data = i < bodies.length ? bodies[i]! : fresh[i - bodies.length]!;
      const read = await readBack(app, r.data!.uploadFile.data.file.url);
      expect({ i, status: read.status, same: read.body.equals(data) }).toEqual({ i, status: 200, same: true });
    }
    for (const [i, f] of alices.entries()) expect({ i, status: (await readBack(app, f.url)).status }).toEqual({ i, status: 200 });
    expect(await violations(db, dataDir)).toEqual([]);
  });

  test('drain racing the bucket being switched back on: no copy lost, no bytes left without a row', async () => {
    const [kept, retiring, fresh] = [await newLocalBucket(app, 'Kept'), await newLocalBucket(app, 'Retiring'), await newLocalBucket(app, 'Fresh')];
    await only(app, db, kept, retiring);
    const bodies = Array.from({ length: 15 }, (_, i) => randomBytes(5_000 + i));
    const files: Uploaded[] = [];
    for (const data of bodies) files.push(await upload(app, alice, data));
    await only(app, db, kept, fresh);
    const [report] = await Promise.all([
      drain(app, retiring, owner),
      (async () => {
        await new Promise((r) => setTimeout(r, 30));
        await app.services.buckets.update(retiring, { enabled: true });
      })(),
    ]);
    expect(report).toMatchObject({ __typename: 'MutationDrainBucketSuccess' });
    await app.services.replication.repair();
    for (const [i, f] of files.entries()) {
      const read = await readBack(app, f.url);
      expect({ i, status: read.status, same: read.body.equals(bodies[i]!) }).toEqual({ i, status: 200, same: true });
    }
    expect(await violations(db, dataDir)).toEqual([]);
  });

  test('redundancy raised between repair and removal: drain never leaves a file below its copies before the drain', async () => {
    const [a, b, retiring] = [await newLocalBucket(app, 'A'), await newLocalBucket(app, 'B'), await newLocalBucket(app, 'Retiring')];
    await only(app, db, a, b, retiring);
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '3' });
    const bodies = Array.from({ length: 6 }, (_, i) => randomBytes(3_000 + i));
    const files: Uploaded[] = [];
    for (const data of bodies) files.push(await upload(app, alice, data));
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
    await only(app, db, a, b);
    const [report] = await Promise.all([
      drain(app, retiring, owner),
      app.services.settings.update({ key: 'storage_redundancy_copies', value: '3' }),
    ]);
    expect(report).toMatchObject({ __typename: 'MutationDrainBucketSuccess' });
    for (const [i, f] of files.entries()) {
      const read = await readBack(app, f.url);
      expect({ i, status: read.status }).toEqual({ i, status: 200 });
    }
    expect(await violations(db, dataDir)).toEqual([]);
  });

  test('remaining buckets full: copies stay, nothing lost', async () => {
    const [kept, retiring, tiny] = [await newLocalBucket(app, 'Kept'), await newLocalBucket(app, 'Retiring'), await newLocalBucket(app, 'Tiny', { maxSizeMb: 1 })];
    await only(app, db, kept, retiring);
    const bodies = Array.from({ length: 4 }, () => randomBytes(400_000));
    const files: Uploaded[] = [];
    for (const data of bodies) files.push(await upload(app, alice, data));
    await only(app, db, kept, tiny);
    const report = await drain(app, retiring, owner);
    // two fit in the 1 MiB bucket
    expect(report).toMatchObject({ __typename: 'MutationDrainBucketSuccess', data: { copiesAdded: 2, removed: 2, remaining: 2 } });
    const usage = await app.services.buckets.usage();
    expect(usage.get(tiny)).toBeLessThanOrEqual(1024 * 1024);
    for (const [i, f] of files.entries()) {
      const read = await readBack(app, f.url);
      expect({ i, status: read.status, same: read.body.equals(bodies[i]!) }).toEqual({ i, status: 200, same: true });
    }
    expect(await violations(db, dataDir)).toEqual([]);
  });
});
