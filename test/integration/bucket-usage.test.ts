import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { migrateDown, migrateUp } from '../../src/db/migrations/runner.js';
import { LEDGER_FOLD_AT } from '../../src/modules/files/bucket.service.js';
import { graphql } from '../gql/index.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { listTree, tempDataDir, uploadVia } from '../helpers/upload.js';

const UploadDocument = graphql(`
  mutation BucketUsageUpload($input: UploadFileInput!) {
    uploadFile(input: $input) {
      __typename
      ... on MutationUploadFileSuccess { data { duplicate file { uuid } } }
      ... on Error { message code }
    }
  }
`);

describe.each(backends)('bucket usage and copies kept by the database on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let users: TestUser[];
  let second: string;
  let dataDir: string;

  /** The definition: bytes of the distinct objects (bucket + path) that have at least one active location. */
  async function counted(): Promise<Record<string, number>> {
    const rows = await db.$queryRaw<{ bucket_uuid: string; used: bigint }[]>`
      SELECT d.bucket_uuid, SUM(d.size)::bigint AS used
        FROM (SELECT DISTINCT l.bucket_uuid, l.path, i.size
                FROM phoenix_kit_file_locations l
                JOIN phoenix_kit_file_instances i ON i.uuid = l.file_instance_uuid
               WHERE l.status = 'active') d
       GROUP BY d.bucket_uuid`;
    return Object.fromEntries(rows.filter((r) => Number(r.used) !== 0).map((r) => [r.bucket_uuid, Number(r.used)]));
  }

  async function kept(): Promise<Record<string, number>> {
    const usage = await app.services.buckets.usage();
    return Object.fromEntries([...usage].filter(([, used]) => used !== 0));
  }

  /** Instances whose kept `active_copies` differs from the count of their active locations in enabled buckets. */
  async function miscountedCopies(): Promise<Array<{ uuid: string; kept: number; counted: number }>> {
    return db.$queryRaw`
      SELECT i.uuid, i.active_copies AS kept, COUNT(l.uuid) FILTER (WHERE l.status = 'active' AND b.enabled)::int AS counted
        FROM phoenix_kit_file_instances i
        LEFT JOIN phoenix_kit_file_locations l ON l.file_instance_uuid = i.uuid
        LEFT JOIN phoenix_kit_buckets b ON b.uuid = l.bucket_uuid
       GROUP BY i.uuid HAVING i.active_copies <> COUNT(l.uuid) FILTER (WHERE l.status = 'active' AND b.enabled)`;
  }

  /** The kept count of readable copies of a file's original. */
  const copiesOf = async (fileUuid: string) =>
    (await db.fileInstance.findFirstOrThrow({ where: { fileUuid, variantName: 'original' }, select: { activeCopies: true } })).activeCopies;

  /** Bucket usage and every instance's active copies as kept by the database equal their definitions. */
  async function expectKeptEqualsCounted(label: string) {
    const expected = await counted();
    expect(await kept(), label).toEqual(expected);
    expect(await miscountedCopies(), label).toEqual([]);
    return expected;
  }

  async function upload(user: TestUser, data: Buffer): Promise<{ uuid: string; duplicate: boolean }> {
    const result = await uploadVia(app, UploadDocument, { name: 'usage.bin', type: 'application/octet-stream', data }, { headers: user.headers });
    const payload = result.data?.uploadFile;
    if (payload?.__typename !== 'MutationUploadFileSuccess') throw new Error(JSON.stringify(result));
    return { uuid: payload.data.file.uuid, duplicate: payload.data.duplicate };
  }

  const locationsOf = (fileUuid: string) => db.fileLocation.findMany({ where: { fileInstance: { fileUuid } }, orderBy: { uuid: 'asc' } });

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    users = [];
    for (let i = 0; i < 4; i++) users.push(await signUp(app));
    second = (await app.services.buckets.create({ name: 'Second', provider: 'local', endpoint: 'buckets/second' })).uuid;
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
  });
  afterAll(() => backend?.close());

  test('follows uploads, shared bytes, copies that fail and come back, and deletions', async () => {
    const [alice, bob] = users as [TestUser, TestUser];
    const shared = randomBytes(70_000);
    const first = await upload(alice, shared);
    const one = await expectKeptEqualsCounted('one file, two copies');
    expect(Object.keys(one)).toHaveLength(2);
    expect(Object.values(one)).toEqual([70_000, 70_000]);

    const bobs = await upload(bob, shared); // bob's own row, alice's bytes
    expect(bobs.duplicate).toBe(false);
    expect(await upload(alice, shared)).toMatchObject({ uuid: first.uuid, duplicate: true });
    const other = await upload(alice, randomBytes(5_000));
    expect(Object.values(await expectKeptEqualsCounted('shared bytes counted once'))).toEqual([75_000, 75_000]);

    // one copy of alice's fails: bob's location still holds that object active
    const [aliceCopy, aliceOtherCopy] = await locationsOf(first.uuid);
    await db.fileLocation.update({ where: { uuid: aliceCopy!.uuid }, data: { status: 'failed' } });
    await expectKeptEqualsCounted('one of two sharers failed');
    // bob's copy in the same bucket fails too: the object no longer counts there
    const bobCopy = (await locationsOf(bobs.uuid)).find((l) => l.bucketUuid === aliceCopy!.bucketUuid)!;
    await db.fileLocation.update({ where: { uuid: bobCopy.uuid }, data: { status: 'failed' } });
    const dropped = await expectKeptEqualsCounted('every sharer failed');
    expect(dropped[aliceCopy!.bucketUuid]).toBe(5_000);
    // both come back in one statement, with an unrelated row changed alongside
    await db.fileLocation.updateMany({
      where: { uuid: { in: [aliceCopy!.uuid, bobCopy.uuid, aliceOtherCopy!.uuid] } },
      data: { status: 'active', lastVerifiedAt: new Date() },
    });
    expect(Object.values(await expectKeptEqualsCounted('copies back'))).toEqual([75_000, 75_000]);

    // a copy moved to another path counts at its new place
    await db.fileLocation.update({ where: { uuid: aliceOtherCopy!.uuid }, data: { path: `${aliceOtherCopy!.path}.moved` } });
    await expectKeptEqualsCounted('a copy moved');
    await db.fileLocation.update({ where: { uuid: aliceOtherCopy!.uuid }, data: { path: aliceOtherCopy!.path } });

    await app.services.files.remove(null, first.uuid); // bob still shares the bytes
    expect(Object.values(await expectKeptEqualsCounted('alice deleted, bob keeps the bytes'))).toEqual([75_000, 75_000]);
    await app.services.files.remove(null, bobs.uuid);
    expect(Object.values(await expectKeptEqualsCounted('last sharer deleted'))).toEqual([5_000, 5_000]);
    await app.services.files.remove(null, other.uuid);
    await expectKeptEqualsCounted('all deleted');
  });

  test('a file whose copies were all lost, uploaded again, is counted again (its rows revived in one statement)', async () => {
    const [alice] = users as [TestUser];
    const data = randomBytes(33_000);
    const first = await upload(alice, data);
    const before = await expectKeptEqualsCounted('stored');
    await db.fileLocation.updateMany({ where: { fileInstance: { fileUuid: first.uuid } }, data: { status: 'failed' } });
    const lost = await expectKeptEqualsCounted('every copy lost');
    expect(Object.values(lost).reduce((a, b) => a + b, 0)).toBe(Object.values(before).reduce((a, b) => a + b, 0) - 2 * 33_000);
    expect(await upload(alice, data)).toEqual({ uuid: first.uuid, duplicate: true });
    expect(await expectKeptEqualsCounted('copies back')).toEqual(before);
    expect((await locationsOf(first.uuid)).every((l) => l.status === 'active')).toBe(true);
    await app.services.files.remove(null, first.uuid);
  });

  test('image variants and a tile pyramid are counted, and go with their file', async () => {
    const noise = randomBytes(640 * 480 * 3);
    const image = await sharp(noise, { raw: { width: 640, height: 480, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
    const before = await expectKeptEqualsCounted('before the image');
    const { uuid } = await upload(users[1]!, image);
    await app.services.media.runJob({ fileUuid: uuid });
    expect(await db.fileInstance.count({ where: { fileUuid: uuid } })).toBeGreaterThan(1);
    await app.services.settings.update({ key: 'storage_tile_generation_enabled', value: 'true' });
    expect(await app.services.tiles.tile(uuid, 10, 0, 0, 'jpg')).not.toBeNull();
    await app.services.tiles.settled();
    expect(await db.file.count({ where: { parentFileUuid: uuid } })).toBeGreaterThan(2);
    const stored = await expectKeptEqualsCounted('variants and tiles stored');
    for (const [bucket, used] of Object.entries(stored)) expect(used).toBeGreaterThan(before[bucket] ?? 0);
    await app.services.files.remove(null, uuid);
    expect(await expectKeptEqualsCounted('the image deleted')).toEqual(before);
  });

  test('deleting a file whose pyramid holds more objects than one release batch leaves no byte and no row behind', async () => {
    const storedBefore = (await listTree(dataDir)).filter((p) => !p.startsWith('tmp/'));
    const before = await expectKeptEqualsCounted('before the big image');
    const noise = randomBytes(3000 * 3000 * 3);
    const image = await sharp(noise, { raw: { width: 3000, height: 3000, channels: 3 } }).jpeg({ quality: 70 }).toBuffer();
    const { uuid } = await upload(users[2]!, image);
    expect(await app.services.tiles.tile(uuid, 12, 0, 0, 'jpg')).not.toBeNull();
    await app.services.tiles.settled();
    const objects = await db.fileLocation.count({ where: { fileInstance: { file: { parentFileUuid: uuid } } } });
    expect(objects).toBeGreaterThan(2 * 200); // more than two release batches (two copies of each tile)
    await app.services.files.remove(null, uuid);
    expect(await db.file.count({ where: { OR: [{ uuid }, { parentFileUuid: uuid }] } })).toBe(0);
    expect((await listTree(dataDir)).filter((p) => !p.startsWith('tmp/'))).toEqual(storedBefore);
    expect(await expectKeptEqualsCounted('the big image deleted')).toEqual(before);
  });

  test('many uploads and deletions at once, of shared and distinct bytes, keep it exact', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => randomBytes(1_000 + i * 100));
    const results = await Promise.all(
      Array.from({ length: 36 }, (_, i) => upload(users[i % users.length]!, bodies[i % bodies.length]!)),
    );
    await expectKeptEqualsCounted('after 36 concurrent uploads');
    const distinct = [...new Set(results.map((r) => r.uuid))];
    // delete half while the same bytes are uploaded again
    await Promise.all([
      ...distinct.slice(0, distinct.length / 2).map((uuid) => app.services.files.remove(null, uuid)),
      ...Array.from({ length: 12 }, (_, i) => upload(users[(i + 1) % users.length]!, bodies[i % bodies.length]!)),
    ]);
    await expectKeptEqualsCounted('after concurrent deletions and uploads');
  });

  test('the ledger is folded to one row per bucket when it grows, the sums unchanged', async () => {
    for (let i = 0; i < 5; i++) await upload(users[0]!, randomBytes(2_000));
    const before = await expectKeptEqualsCounted('before folding');
    expect(await db.bucketUsage.count()).toBeGreaterThan(Object.keys(before).length);
    // folds racing each other and uploads
    await Promise.all([
      app.services.buckets.foldLedger(),
      app.services.buckets.foldLedger(),
      upload(users[1]!, randomBytes(3_000)),
      app.services.buckets.foldLedger(),
    ]);
    await app.services.buckets.foldLedger();
    await expectKeptEqualsCounted('after folding');
    const rows = await db.bucketUsage.groupBy({ by: ['bucketUuid'], _count: true });
    expect(rows.every((r) => r._count === 1)).toBe(true);

    // a long ledger is folded by the read itself
    const [bucketUuid] = Object.keys(before);
    await db.bucketUsage.createMany({
      data: Array.from({ length: LEDGER_FOLD_AT + 1 }, (_, i) => ({ bucketUuid: bucketUuid!, bytes: i % 2 === 0 ? 7n : -7n })),
    });
    const usage = await app.services.buckets.usage();
    expect(usage.get(bucketUuid!)).toBe((await counted())[bucketUuid!]! + 7);
    expect(await db.bucketUsage.count()).toBeLessThanOrEqual(Object.keys(before).length);
    await db.bucketUsage.create({ data: { bucketUuid: bucketUuid!, bytes: -7n } });
    await expectKeptEqualsCounted('extra rows taken back');
  });

  test('two repairs racing over many under-replicated files add each missing copy once', async () => {
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '1' });
    const uploaded = await Promise.all(Array.from({ length: 30 }, () => upload(users[3]!, randomBytes(1_500))));
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
    const shortfalls = await app.services.replication.shortfalls();
    const short = new Set(shortfalls.map((s) => s.fileUuid));
    for (const { uuid } of uploaded) expect(short.has(uuid)).toBe(true);
    const missing = shortfalls.reduce((n, s) => n + 2 - s.copies, 0);
    expect(missing).toBeGreaterThanOrEqual(30);
    const [a, b] = await Promise.all([app.services.replication.repair(), app.services.replication.repair()]);
    expect(a.copiesAdded + b.copiesAdded).toBe(missing);
    expect(a.stillUnderReplicated + b.stillUnderReplicated).toBe(0);
    for (const { uuid } of uploaded) {
      const locations = await locationsOf(uuid);
      expect(locations.filter((l) => l.status === 'active').map((l) => l.bucketUuid).sort()).toEqual(
        [...new Set(locations.map((l) => l.bucketUuid))].sort(),
      );
      expect(locations).toHaveLength(2);
    }
    await expectKeptEqualsCounted('after the repairs');
  });

  test('copies in a disabled bucket do not count: switching a bucket off and on, or deleting it, moves the count', async () => {
    const [alice] = users as [TestUser];
    // a bucket ranked first takes one of the two copies of each upload while it is there
    const doomed = async (name: string) => (await app.services.buckets.create({ name, provider: 'local', endpoint: `buckets/${name}`, priority: 1 })).uuid;
    const first = await doomed('doomed-on');
    const kept = await upload(alice, randomBytes(9_000));
    expect((await locationsOf(kept.uuid)).map((l) => l.bucketUuid)).toContain(first);
    expect(await copiesOf(kept.uuid)).toBe(2);

    await app.services.buckets.update(first, { enabled: false });
    expect(await copiesOf(kept.uuid)).toBe(1);
    await expectKeptEqualsCounted('a bucket switched off');
    expect((await app.services.replication.shortfalls()).map((s) => s.fileUuid)).toContain(kept.uuid);
    await app.services.buckets.update(first, { name: 'doomed-on renamed' }); // another change of the row moves nothing
    expect(await copiesOf(kept.uuid)).toBe(1);
    await app.services.buckets.update(first, { enabled: true });
    expect(await copiesOf(kept.uuid)).toBe(2);
    expect((await app.services.replication.shortfalls()).map((s) => s.fileUuid)).not.toContain(kept.uuid);

    // deleted with its copies (the service refuses that; the database's cascade is what is counted here)
    await db.bucket.delete({ where: { uuid: first } });
    expect(await copiesOf(kept.uuid)).toBe(1);
    await expectKeptEqualsCounted('an enabled bucket deleted');
    const second = await doomed('doomed-off');
    const other = await upload(alice, randomBytes(8_000));
    expect(await copiesOf(other.uuid)).toBe(2);
    await app.services.buckets.update(second, { enabled: false });
    await db.bucket.delete({ where: { uuid: second } });
    expect(await copiesOf(other.uuid)).toBe(1);
    await expectKeptEqualsCounted('a disabled bucket deleted');
    await app.services.files.remove(null, kept.uuid);
    await app.services.files.remove(null, other.uuid);
  });

  test('uploads, failed copies and deletions while a bucket is switched off and on keep the count exact', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => randomBytes(1_200 + i * 100));
    const flips = (async () => {
      for (let i = 0; i < 12; i++) await app.services.buckets.update(second, { enabled: i % 2 === 1 });
    })();
    const results = await Promise.all([
      ...Array.from({ length: 24 }, (_, i) => upload(users[i % users.length]!, bodies[i % bodies.length]!)),
      flips.then(() => null),
    ]);
    await expectKeptEqualsCounted('after uploads during flips');
    const uuids = [...new Set(results.flatMap((r) => (r ? [r.uuid] : [])))];
    const again = (async () => {
      for (let i = 0; i < 6; i++) await app.services.buckets.update(second, { enabled: i % 2 === 1 });
    })();
    await Promise.all([
      again,
      ...uuids.slice(0, 4).map(async (uuid) =>
        db.fileLocation.updateMany({ where: { fileInstance: { fileUuid: uuid }, bucketUuid: second }, data: { status: 'failed' } }),
      ),
      ...uuids.slice(4).map((uuid) => app.services.files.remove(null, uuid)),
    ]);
    expect((await db.bucket.findUniqueOrThrow({ where: { uuid: second } })).enabled).toBe(true);
    await expectKeptEqualsCounted('after failures and deletions during flips');
    for (const uuid of uuids.slice(0, 4)) await app.services.files.remove(null, uuid);
    await expectKeptEqualsCounted('all deleted');
  });

  test('copies failing and coming back while their bucket is switched off and on keep the count exact', async () => {
    const stored = await Promise.all(Array.from({ length: 6 }, () => upload(users[1]!, randomBytes(1_000))));
    const copies = await db.fileLocation.findMany({ where: { bucketUuid: second, fileInstance: { fileUuid: { in: stored.map((f) => f.uuid) } } } });
    expect(copies).toHaveLength(stored.length);
    const flips = (async () => {
      for (let i = 0; i < 30; i++) await app.services.buckets.update(second, { enabled: i % 2 === 1 });
    })();
    const toggles = (async () => {
      for (let round = 0; round < 30; round++) {
        await Promise.all(
          copies.map((c, i) => db.fileLocation.update({ where: { uuid: c.uuid }, data: { status: (round + i) % 2 === 0 ? 'failed' : 'active' } })),
        );
      }
    })();
    await Promise.all([flips, toggles]);
    await expectKeptEqualsCounted('after toggles during flips');
    for (const { uuid } of stored) await app.services.files.remove(null, uuid);
  });

  test('migration 36: its down counts copies in disabled buckets again, its up leaves them out', async () => {
    const { uuid } = await upload(users[2]!, randomBytes(3_500));
    expect(await copiesOf(uuid)).toBe(2);
    await app.services.buckets.update(second, { enabled: false });
    expect(await copiesOf(uuid)).toBe(1);
    const sql = backend.database.sql;
    await migrateDown(sql, { version: 35 });
    expect(await copiesOf(uuid)).toBe(2);
    await migrateUp(sql);
    expect(await copiesOf(uuid)).toBe(1);
    await expectKeptEqualsCounted('after the roundtrip');
    await app.services.buckets.update(second, { enabled: true });
    expect(await copiesOf(uuid)).toBe(2);
    await app.services.files.remove(null, uuid);
  });

  test('migrations 31 and 33 count what was stored before them; their downs remove the bookkeeping', async () => {
    await upload(users[2]!, randomBytes(4_000));
    const expected = await expectKeptEqualsCounted('before the roundtrip');
    const sql = backend.database.sql;
    await migrateDown(sql, { version: 30 });
    const left = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_trigger WHERE tgname LIKE 'phoenix_kit_file_locations_%_on_%'`,
    );
    expect(left[0]!.n).toBe(0);
    await migrateUp(sql);
    expect(await kept()).toEqual(expected);
    await upload(users[3]!, randomBytes(6_000));
    await expectKeptEqualsCounted('after the roundtrip, kept again');
  });
});
