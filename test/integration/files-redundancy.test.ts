import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ExecutionResult } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { storageKey, type StorageKey } from '../../src/storage/storage-key.js';
import { localBucketRoot } from '../../src/storage/storage-registry.js';
import { lockObjects } from '../../src/modules/files/file.service.js';
import { SWEEP_GRACE_MS } from '../../src/modules/files/storage-sweep.service.js';
import type { FilesRedundancyUploadMutation } from '../gql/graphql.js';
import { graphql } from '../gql/index.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, untilSomeoneWaitsForALock, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';
import {
  listS3rverKeys,
  listTree,
  pathOf,
  postStreamedUpload,
  startHttpServer,
  tempDataDir,
  uploadRaw,
  uploadVia,
} from '../helpers/upload.js';

const KiB = 1024;
const MiB = 1024 * 1024;

const UploadDocument = graphql(`
  mutation FilesRedundancyUpload($input: UploadFileInput!) {
    uploadFile(input: $input) {
      __typename
      ... on MutationUploadFileSuccess {
        data {
          duplicate
          file {
            uuid
            url
            size
            copies
            underReplicated
            instances { locations { path status priority bucket { uuid } } }
          }
        }
      }
      ... on Error { message code }
    }
  }
`);

const FileDocument = graphql(`
  query FilesRedundancyFile($uuid: UUID!) {
    file(uuid: $uuid) { uuid copies underReplicated instances { locations { uuid path status bucket { uuid } } } }
  }
`);

const HealthDocument = graphql(`
  query FilesRedundancyHealth {
    storageHealth { redundancyTarget underReplicatedCount underReplicatedFiles { uuid copies underReplicated } }
  }
`);

const RepairDocument = graphql(`
  mutation FilesRedundancyRepair {
    repairStorage { checked copiesAdded stillUnderReplicated }
  }
`);

const SweepDocument = graphql(`
  mutation FilesRedundancySweep {
    sweepStorage { buckets unreachable scanned removed }
  }
`);

const BucketsDocument = graphql(`
  query FilesRedundancyBuckets {
    buckets(first: 100) { edges { node { uuid name usedBytes status { reachable reason } } } }
  }
`);

const CreateBucketDocument = graphql(`
  mutation FilesRedundancyCreateBucket($input: CreateBucketInput!) {
    createBucket(input: $input) {
      __typename
      ... on MutationCreateBucketSuccess { data { uuid } }
      ... on Error { message code }
    }
  }
`);

type Uploaded = Extract<
  NonNullable<ExecutionResult<FilesRedundancyUploadMutation>['data']>['uploadFile'],
  { __typename: 'MutationUploadFileSuccess' }
>['data'];

type Layout = Partial<Record<'local' | 'a' | 'b', { priority?: number; maxSizeMb?: number | null; enabled?: boolean }>>;

describe.each(backends)('bucket selection and redundancy on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let owner: TestUser;
  let alice: TestUser;
  let serverA: S3TestServer;
  let serverB: S3TestServer;
  const ids: { local: string; a: string; b: string; small?: string } = { local: '', a: '', b: '' };
  const nameOf = (uuid: string) => Object.entries(ids).find(([, v]) => v === uuid)?.[0] ?? uuid;

  /** Every object key a bucket holds right now (read from its storage, not from the database). */
  async function objectsIn(bucketUuid: string): Promise<string[]> {
    const row = await db.bucket.findUniqueOrThrow({ where: { uuid: bucketUuid } });
    if (row.provider === 'local') return listTree(localBucketRoot(row.endpoint, dataDir));
    const server = [serverA, serverB].find((s) => s.endpoint === row.endpoint);
    if (!server) throw new Error(`no test server for ${row.endpoint}`);
    return listS3rverKeys(server.directory, server.bucket);
  }

  /** Names of the buckets whose storage holds `path`. */
  async function holders(path: string): Promise<string[]> {
    const out: string[] = [];
    for (const [name, uuid] of Object.entries(ids)) if (uuid && (await objectsIn(uuid)).includes(path)) out.push(name);
    return out.sort();
  }

  async function layout(spec: Layout) {
    for (const [key, changes] of Object.entries(spec)) {
      await app.services.buckets.update(ids[key as 'local' | 'a' | 'b'], {
        enabled: changes.enabled ?? true,
        priority: changes.priority ?? 0,
        maxSizeMb: changes.maxSizeMb ?? null,
      });
    }
  }

  const setCopies = (n: number) => app.services.settings.update({ key: 'storage_redundancy_copies', value: String(n) });

  async function upload(data: Buffer, name = 'file.bin', via: 'form' | 'raw' = 'form'): Promise<Uploaded> {
    const file = { name, type: 'application/octet-stream', data };
    const result =
      via === 'form'
        ? await uploadVia(app, UploadDocument, file, { headers: alice.headers })
        : await uploadRaw(app, UploadDocument, file, { headers: alice.headers });
    const payload = result.data?.uploadFile;
    if (payload?.__typename !== 'MutationUploadFileSuccess') throw new Error(`upload failed: ${JSON.stringify(result)}`);
    return payload.data;
  }

  const placed = (u: Uploaded) => u.file.instances[0]!.locations.map((l) => nameOf(l.bucket.uuid)).sort();
  const blobOf = (u: Uploaded) => u.file.instances[0]!.locations[0]!.path;

  async function read(url: string) {
    const response = await app.fetch(`http://localhost${pathOf(url)}`);
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  }

  async function fileState(uuid: string) {
    const result = await execute(app, FileDocument, { uuid }, alice.headers);
    return result.data!.file!;
  }

  async function health() {
    const result = await execute(app, HealthDocument, {}, owner.headers);
    expect(result.errors).toBeUndefined();
    return result.data!.storageHealth;
  }

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    owner = await signUp(app);
    alice = await signUp(app);
    [serverA, serverB] = await Promise.all([startS3Server({ bucket: 'copies-a' }), startS3Server({ bucket: 'copies-b' })]);
    ids.local = (await db.bucket.findFirstOrThrow({ where: { name: 'Local Storage' } })).uuid;
    for (const [key, server] of [['a', serverA], ['b', serverB]] as const) {
      const created = await execute(
        app,
        CreateBucketDocument,
        {
          input: {
            name: `S3 ${key.toUpperCase()}`,
            ...server.connection(),
          },
        },
        owner.headers,
      );
      if (created.data?.createBucket.__typename !== 'MutationCreateBucketSuccess') throw new Error(JSON.stringify(created));
      ids[key] = created.data.createBucket.data.uuid;
    }
  });

  afterEach(async () => {
    await Promise.all([serverA.start(), serverB.start()]); // a failed test must not leave a server down
    // each test starts without files: one left behind would be under-replicated in the next test's layout (a copy in a
    // bucket it disables does not count) and be repaired along with that test's own
    for (const { uuid } of await db.file.findMany({ where: { parentFileUuid: null }, select: { uuid: true } })) {
      await app.services.files.remove(null, uuid);
    }
    // no temporary objects and no orphan bytes in any bucket: every object has a location row in that bucket
    for (const uuid of Object.values(ids)) {
      if (!uuid) continue;
      const objects = await objectsIn(uuid);
      const rows = new Set((await db.fileLocation.findMany({ where: { bucketUuid: uuid }, select: { path: true } })).map((l) => l.path));
      expect(objects.filter((p) => !rows.has(p)), `orphans in ${nameOf(uuid)}`).toEqual([]);
    }
  });

  afterAll(async () => {
    await backend.close();
    await Promise.all([serverA?.close(), serverB?.close()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  test('storage_redundancy_copies = 2 over 3 buckets: exactly two hold the bytes, both readable', async () => {
    await layout({ local: {}, a: {}, b: {} });
    await setCopies(2);
    const data = randomBytes(150 * KiB);
    const result = await upload(data);
    expect(result.file).toMatchObject({ copies: 2, underReplicated: false });
    const where = placed(result);
    expect(new Set(where).size).toBe(2);
    expect(await holders(blobOf(result))).toEqual(where);
    const { status, body } = await read(result.file.url);
    expect(status).toBe(200);
    expect(body.equals(data)).toBe(true);
  });

  test('fixed priorities come first, lowest first, whatever the copy count', async () => {
    await layout({ local: { priority: 0 }, a: { priority: 2 }, b: { priority: 1 } });
    await setCopies(1);
    for (let i = 0; i < 3; i++) expect(placed(await upload(randomBytes(10 * KiB)))).toEqual(['b']);
    await setCopies(2);
    for (let i = 0; i < 3; i++) {
      const u = await upload(randomBytes(10 * KiB));
      expect(placed(u)).toEqual(['a', 'b']);
      const byBucket = Object.fromEntries(u.file.instances[0]!.locations.map((l) => [nameOf(l.bucket.uuid), l.priority]));
      expect(byBucket).toEqual({ a: 2, b: 1 });
    }
    await setCopies(3);
    const all = await upload(randomBytes(10 * KiB));
    expect(placed(all)).toEqual(['a', 'b', 'local']);
    expect(await holders(blobOf(all))).toEqual(['a', 'b', 'local']);
  });

  test('an upload is a fixed number of SQL statements, whatever the copy count, for new, shared and duplicate bytes', async () => {
    await layout({ local: {}, a: {}, b: {} });
    const counted = async (data: Buffer, as: TestUser) => {
      const before = backend.queries.length;
      const result = await uploadVia(app, UploadDocument, { name: 'n.bin', type: 'application/octet-stream', data }, { headers: as.headers });
      const statements = backend.queries.slice(before);
      const payload = result.data?.uploadFile;
      if (payload?.__typename !== 'MutationUploadFileSuccess') throw new Error(JSON.stringify(result));
      return { statements, data: payload.data };
    };
    const bob = await signUp(app);
    const shapes: Record<string, number[]> = { fresh: [], shared: [], duplicate: [] };
    for (const copies of [1, 3]) {
      await setCopies(copies);
      await upload(randomBytes(KiB)); // reloads the settings the change invalidated
      const data = randomBytes(20 * KiB);
      const fresh = await counted(data, alice);
      expect(fresh.data.file.copies).toBe(copies);
      const shared = await counted(data, bob);
      expect(shared.data.file.copies).toBe(copies);
      const duplicate = await counted(data, alice);
      expect(duplicate.data).toMatchObject({ duplicate: true, file: { uuid: fresh.data.file.uuid } });
      // the file row, its instance and every location are written by one statement
      expect(fresh.statements.filter((q) => /INSERT INTO/i.test(q))).toHaveLength(1);
      expect(shared.statements.filter((q) => /INSERT INTO/i.test(q))).toHaveLength(1);
      expect(duplicate.statements.filter((q) => /INSERT INTO/i.test(q))).toHaveLength(0);
      shapes.fresh!.push(fresh.statements.length);
      shapes.shared!.push(shared.statements.length);
      shapes.duplicate!.push(duplicate.statements.length);
    }
    // session, buckets with usage, object lock, stored-bytes lookup, insert, commit, payload (copies and instances in one
    // statement); a duplicate skips the insert
    expect(shapes).toEqual({ fresh: [7, 7], shared: [7, 7], duplicate: [6, 6] });
  });

  test('priority-0 buckets are filled emptiest first (most free space under max_size_mb)', async () => {
    await setCopies(1);
    const max = { local: 12, a: 11, b: 10 };
    await layout({ local: { maxSizeMb: max.local }, a: { maxSizeMb: max.a }, b: { maxSizeMb: max.b } });
    const usage = await app.services.buckets.usage();
    const keys = ['local', 'a', 'b'] as const;
    const free = Object.fromEntries(keys.map((k) => [k, max[k] * MiB - (usage.get(ids[k]) ?? 0)])) as Record<(typeof keys)[number], number>;
    const size = 1.5 * MiB;
    for (let i = 0; i < 5; i++) {
      const ranked = (Object.entries(free) as Array<[(typeof keys)[number], number]>).sort((x, y) => y[1] - x[1]);
      expect(ranked[0]![1] - ranked[1]![1], 'the fixture must leave no tie').toBeGreaterThan(64 * KiB);
      const u = await upload(randomBytes(size));
      expect(placed(u), `upload ${i}: free ${JSON.stringify(free)}`).toEqual([ranked[0]![0]]);
      free[ranked[0]![0]] -= size;
    }
  });

  describe('capacity', () => {
    const smalls: string[] = [];
    let small: string;

    /** A new 1 MiB local bucket with fixed priority 1 (the first choice while it has room); earlier ones are disabled. */
    async function freshSmall() {
      for (const old of smalls) await app.services.buckets.update(old, { enabled: false });
      const created = await execute(
        app,
        CreateBucketDocument,
        { input: { name: `Small ${smalls.length}`, provider: 'local', endpoint: `buckets/small-${smalls.length}`, priority: 1, maxSizeMb: 1 } },
        owner.headers,
      );
      if (created.data?.createBucket.__typename !== 'MutationCreateBucketSuccess') throw new Error(JSON.stringify(created));
      small = created.data.createBucket.data.uuid;
      smalls.push(small);
      ids.small = small;
    }

    afterAll(async () => {
      // leave nothing behind that later repairs could not reach
      for (const uuid of smalls) {
        const held = await db.file.findMany({ where: { instances: { some: { locations: { some: { bucketUuid: uuid } } } } } });
        for (const f of held) await app.services.files.remove(null, f.uuid);
        await app.services.buckets.remove(uuid);
      }
      delete ids.small;
    });

    const smallUsed = async () => (await app.services.buckets.usage()).get(small) ?? 0;
    const inSmall = (u: Uploaded) => u.file.instances[0]!.locations.some((l) => l.bucket.uuid === small);

    test('a bucket the file would overflow is skipped (size known from Content-Length)', async () => {
      await freshSmall();
      await setCopies(1);
      await layout({ local: { priority: 2 }, a: { priority: 3 }, b: { priority: 4 } });
      const first = await upload(randomBytes(700 * KiB), 'first.bin', 'raw');
      expect(placed(first)).toEqual(['small']);
      const second = await upload(randomBytes(700 * KiB), 'second.bin', 'raw');
      expect(placed(second)).toEqual(['local']);
      expect(await smallUsed()).toBeLessThanOrEqual(MiB);
      // a file that still fits goes there
      const third = await upload(randomBytes(200 * KiB), 'third.bin', 'raw');
      expect(inSmall(third)).toBe(true);
      expect(await smallUsed()).toBeLessThanOrEqual(MiB);
    });

    test.each([
      ['known from Content-Length', 'raw'],
      ['found once the bytes are in (no Content-Length)', 'form'],
    ] as const)('bytes already stored need no room (%s): a duplicate and another user\'s copy are answered; new bytes are refused', async (_label, via) => {
      await freshSmall();
      await setCopies(1);
      await layout({ local: { enabled: false }, a: { enabled: false }, b: { enabled: false } });
      const data = randomBytes(700 * KiB);
      const first = await upload(data, 'stored.bin', 'raw');
      expect(placed(first)).toEqual(['small']); // 700 KiB of 1 MiB: another 700 KiB does not fit
      const objects = await objectsIn(small);

      expect(await upload(data, 'again.bin', via)).toMatchObject({ duplicate: true, file: { uuid: first.file.uuid } });
      const theirs = (await uploadVia(app, UploadDocument, { name: 'theirs.bin', data }, { headers: owner.headers })).data?.uploadFile;
      expect(theirs).toMatchObject({ __typename: 'MutationUploadFileSuccess', data: { duplicate: false, file: { copies: 1 } } });
      const rowsBefore = await db.file.count();
      const fresh = (await uploadVia(app, UploadDocument, { name: 'new.bin', data: randomBytes(700 * KiB) }, { headers: alice.headers })).data?.uploadFile;
      expect(fresh).toMatchObject({ __typename: 'BucketUnavailableError', message: expect.stringContaining('full') });
      expect(await db.file.count()).toBe(rowsBefore);
      expect(await objectsIn(small)).toEqual(objects); // nothing new stored
      expect(await smallUsed()).toBeLessThanOrEqual(MiB);
      if (theirs?.__typename === 'MutationUploadFileSuccess') await app.services.files.remove(null, theirs.data.file.uuid);
      await app.services.files.remove(null, first.file.uuid);
      await layout({ local: {}, a: {}, b: {} });
    });

    test.each([
      ['FormData through app.fetch', 'form'],
      ['chunked over a real socket', 'chunked'],
    ])('capacity holds when the client sends no Content-Length (%s)', async (_label, how) => {
      await freshSmall();
      await setCopies(1);
      await layout({ local: { priority: 2 }, a: { priority: 3 }, b: { priority: 4 } });
      expect(placed(await upload(randomBytes(700 * KiB), 'filler.bin', 'raw'))).toEqual(['small']);
      const tooBig = randomBytes(700 * KiB); // 1.4 MiB in a 1 MiB bucket if it went there
      let result: Uploaded;
      if (how === 'form') {
        result = await upload(tooBig, 'form.bin', 'form');
      } else {
        const server = await startHttpServer(app);
        try {
          const response = await postStreamedUpload(server.origin, UploadDocument, { name: 'chunked.bin', chunks: [tooBig] }, alice.headers);
          const payload = JSON.parse(response.body.toString()).data.uploadFile;
          expect(payload.__typename).toBe('MutationUploadFileSuccess');
          result = payload.data as Uploaded;
        } finally {
          await server.close();
        }
      }
      expect(placed(result)).toEqual(['local']);
      expect(await smallUsed()).toBeLessThanOrEqual(MiB);
    });

    test('a file that fills the bucket to the byte fits, though the whole request (its other parts too) is larger', async () => {
      await freshSmall();
      await setCopies(1);
      await layout({ local: { enabled: false }, a: { enabled: false }, b: { enabled: false } });
      try {
        const exact = await upload(randomBytes(MiB - 256), 'nearly a MiB.bin', 'raw');
        expect(placed(exact)).toEqual(['small']);
        expect(await smallUsed()).toBe(MiB - 256);
      } finally {
        await layout({ local: {}, a: {}, b: {} });
      }
    });

    test('uploads at once never overfill a bucket together: those that no longer fit go to the next one', async () => {
      await freshSmall();
      await setCopies(1);
      await layout({ local: { priority: 2 }, a: { priority: 3 }, b: { priority: 4 } });
      // each fits the empty bucket alone (Content-Length known); two fit together
      const uploads = await Promise.all(Array.from({ length: 6 }, (_, i) => upload(randomBytes(400 * KiB), `together ${i}.bin`, 'raw')));
      expect(await smallUsed()).toBeLessThanOrEqual(MiB);
      expect(uploads.filter(inSmall)).toHaveLength(2);
      expect(uploads.filter((u) => placed(u).includes('local'))).toHaveLength(4);
      // afterEach: no temp object and no unrecorded copy is left in any bucket
    });

    test('a bucket found full when the copy is recorded keeps the bytes another row points at under the same key', async () => {
      await freshSmall();
      await setCopies(2);
      await layout({ local: { priority: 2 }, a: { enabled: false }, b: { enabled: false } });
      const data = randomBytes(100 * KiB);
      const sha = createHash('sha256').update(data).digest('hex');
      const key = app.services.files.blobKey(sha);
      // another file's variant with exactly these bytes is stored at that key in the small bucket
      const smallRow = await db.bucket.findUniqueOrThrow({ where: { uuid: small } });
      const onDisk = join(localBucketRoot(smallRow.endpoint, dataDir), key);
      await mkdir(join(onDisk, '..'), { recursive: true });
      await writeFile(onDisk, data);
      const other = await db.file.create({
        data: {
          originalFileName: 'other.png', fileName: 'other.png', mimeType: 'image/png', fileType: 'image', ext: 'png',
          fileChecksum: randomUUID(), userFileChecksum: randomUUID(), size: 10n, status: 'active', userUuid: owner.uuid,
          instances: { create: { variantName: 'thumbnail', fileName: key, mimeType: 'application/octet-stream', ext: 'bin', checksum: sha,
            size: BigInt(data.length), processingStatus: 'completed', locations: { create: { bucketUuid: small, path: key } } } },
        },
      });
      let pending: Promise<Uploaded> = Promise.resolve(undefined as never);
      await db.$transaction(
        async (tx) => {
          // another writer fills the bucket while this upload streams: it holds the room lock and records its bytes
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('phoenix_kit_bucket_room:' || ${small}))`;
          await tx.$executeRaw`INSERT INTO phoenix_kit_bucket_usage (bucket_uuid, bytes) VALUES (${small}::uuid, ${MiB - 150 * KiB})`;
          pending = upload(data, 'same bytes.bin', 'raw');
          await untilSomeoneWaitsForALock(backend);
        },
        { timeout: 20_000 },
      );
      try {
        expect(placed(await pending)).toEqual(['local']);
        expect(existsSync(onDisk), "the other row's bytes").toBe(true);
      } finally {
        await app.services.files.remove(null, other.uuid);
        await setCopies(1);
        await layout({ a: {}, b: {} });
      }
    });

    test('a repair copying many objects at once never overfills a bucket', async () => {
      await freshSmall();
      await app.services.buckets.update(small, { enabled: false });
      await setCopies(1);
      await layout({ local: { priority: 2 }, a: { enabled: false }, b: { enabled: false } });
      const files = [];
      for (let i = 0; i < 6; i++) files.push(await upload(randomBytes(400 * KiB), `repaired ${i}.bin`));
      await setCopies(2);
      await app.services.buckets.update(small, { enabled: true });
      try {
        // 2.4 MiB of copies to make, and every file of earlier tests is short of one now too: the repair copies what fits
        const report = await app.services.replication.repair();
        expect(await smallUsed()).toBeLessThanOrEqual(MiB);
        expect(report.copiesAdded).toBeGreaterThan(0);
        expect(await db.fileLocation.count({ where: { bucketUuid: small } })).toBeGreaterThan(0);
        // the copies that did not fit are gone again (afterEach: every object in a bucket has its row)
      } finally {
        await setCopies(1);
        for (const f of files) await app.services.files.remove(null, f.file.uuid);
        await layout({ a: {}, b: {} });
      }
    });
  });

  test('one S3 server down: reads fail over, uploads succeed under-replicated, health lists them, repair restores 2 copies', async () => {
    await layout({ local: { priority: 0 }, a: { priority: 1 }, b: { priority: 2 } });
    await setCopies(2);
    const before = randomBytes(300 * KiB);
    const early = await upload(before, 'before-outage.bin');
    expect(placed(early)).toEqual(['a', 'b']);

    const during = randomBytes(200 * KiB);
    let late: Uploaded;
    await serverA.stop();
    try {
      // the first copy (A, priority 1) is unreachable: the read fails over to B, and A's copy is not written off
      const failover = await read(early.file.url);
      expect(failover.status).toBe(200);
      expect(failover.body.equals(before)).toBe(true);
      const earlyState = await fileState(early.file.uuid);
      expect(earlyState.instances[0]!.locations.every((l) => l.status === 'active')).toBe(true);
      expect(earlyState).toMatchObject({ copies: 2, underReplicated: false });

      late = await upload(during, 'during-outage.bin');
      expect(late.file).toMatchObject({ copies: 1, underReplicated: true });
      expect(placed(late)).toEqual(['b']);
      const readLate = await read(late.file.url);
      expect(readLate.body.equals(during)).toBe(true);

      const h = await health();
      expect(h.redundancyTarget).toBe(2);
      expect(h.underReplicatedCount).toBeGreaterThanOrEqual(1);
      const listed = h.underReplicatedFiles.map((f) => f.uuid);
      expect(listed).toContain(late.file.uuid);
      expect(listed).not.toContain(early.file.uuid);
      expect(h.underReplicatedFiles.find((f) => f.uuid === late.file.uuid)).toMatchObject({ copies: 1, underReplicated: true });

      const buckets = await execute(app, BucketsDocument, {}, owner.headers);
      expect(buckets.errors).toBeUndefined();
      const statusOf = (uuid: string) => buckets.data!.buckets.edges.find((e) => e.node.uuid === uuid)?.node.status;
      expect(statusOf(ids.a)?.reachable).toBe(false);
      expect(statusOf(ids.b)?.reachable).toBe(true);
      expect(statusOf(ids.local)?.reachable).toBe(true);
    } finally {
      await serverA.start();
    }

    const repaired = await execute(app, RepairDocument, {}, owner.headers);
    expect(repaired.errors).toBeUndefined();
    expect(repaired.data!.repairStorage.copiesAdded).toBeGreaterThanOrEqual(1);
    expect(await fileState(late.file.uuid)).toMatchObject({ copies: 2, underReplicated: false });
    expect(await holders(blobOf(late))).toEqual(['a', 'b']);
    const healed = await health();
    expect(healed.underReplicatedFiles.map((f) => f.uuid)).not.toContain(late.file.uuid);
    expect(healed.underReplicatedCount).toBe(repaired.data!.repairStorage.stillUnderReplicated);

    // the repaired copy on A is whole: with B down, the bytes come from A
    await serverB.stop();
    try {
      const fromA = await read(late.file.url);
      expect(fromA.status).toBe(200);
      expect(fromA.body.equals(during)).toBe(true);
    } finally {
      await serverB.start();
    }
  });

  test('an empty bucket re-pointed elsewhere during an upload gets no copy of it, and no bytes stay at the old place', async () => {
    const x = await app.services.buckets.create({ name: 'Re-pointed', provider: 'local', endpoint: 'buckets/x-before', priority: 1 });
    await layout({ local: { priority: 2 }, a: { enabled: false }, b: { enabled: false } });
    await setCopies(2);
    const data = randomBytes(24 * KiB);
    let uploading: Promise<ExecutionResult<FilesRedundancyUploadMutation>> | undefined;
    await db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM phoenix_kit_buckets WHERE uuid = ${x.uuid}::uuid FOR UPDATE`;
        uploading = uploadVia(app, UploadDocument, { name: 'repointed.bin', data }, { headers: alice.headers });
        // on PostgreSQL the upload has written both copies and waits to record them; PGlite runs one transaction at a time
        await untilSomeoneWaitsForALock(backend);
        await tx.bucket.update({ where: { uuid: x.uuid }, data: { endpoint: 'buckets/x-after' } });
      },
      { timeout: 20_000 },
    );
    const result = (await uploading!).data?.uploadFile;
    if (result?.__typename !== 'MutationUploadFileSuccess') throw new Error(JSON.stringify(result));
    const { file } = result.data;
    // every recorded copy is where its bucket row leads now; nothing was left where the bucket used to lead
    const row = await db.bucket.findUniqueOrThrow({ where: { uuid: x.uuid } });
    for (const location of file.instances[0]!.locations) {
      const bucket = await db.bucket.findUniqueOrThrow({ where: { uuid: location.bucket.uuid } });
      expect(await app.services.buckets.driverFor(bucket).stat(location.path as StorageKey), location.bucket.uuid).not.toBeNull();
    }
    expect(await listTree(localBucketRoot('buckets/x-before', dataDir))).toEqual([]);
    if (backend.database.kind === 'postgres') expect(placed(result.data)).toEqual(['local']);
    expect((await read(file.url)).body.equals(data)).toBe(true);
    await app.services.files.remove(null, file.uuid);
    expect(await listTree(localBucketRoot(row.endpoint, dataDir))).toEqual([]);
    await app.services.buckets.remove(x.uuid);
    await layout({ a: {}, b: {} });
  });

  test('a bucket renamed or re-prioritised during an upload keeps its copy (only where it leads matters)', async () => {
    const x = await app.services.buckets.create({ name: 'Renamed later', provider: 'local', endpoint: 'buckets/z', priority: 1 });
    await layout({ local: { priority: 2 }, a: { enabled: false }, b: { enabled: false } });
    await setCopies(2);
    let uploading: Promise<ExecutionResult<FilesRedundancyUploadMutation>> | undefined;
    await db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM phoenix_kit_buckets WHERE uuid = ${x.uuid}::uuid FOR UPDATE`;
        uploading = uploadVia(app, UploadDocument, { name: 'kept.bin', data: randomBytes(23 * KiB) }, { headers: alice.headers });
        await untilSomeoneWaitsForALock(backend);
        await tx.bucket.update({ where: { uuid: x.uuid }, data: { name: 'Renamed now', priority: 3, maxSizeMb: 500n } });
      },
      { timeout: 20_000 },
    );
    const result = (await uploading!).data?.uploadFile;
    if (result?.__typename !== 'MutationUploadFileSuccess') throw new Error(JSON.stringify(result));
    expect(result.data.file).toMatchObject({ copies: 2, underReplicated: false });
    expect(placed(result.data).filter((n) => n !== 'local')).toEqual([x.uuid]);
    await app.services.files.remove(null, result.data.file.uuid);
    await app.services.buckets.remove(x.uuid);
    await layout({ a: {}, b: {} });
  });

  test('an empty bucket re-pointed elsewhere during a repair gets no copy, and no bytes stay at the old place', async () => {
    await layout({ local: { priority: 2 }, a: { enabled: false }, b: { enabled: false } });
    await setCopies(1);
    const data = randomBytes(22 * KiB);
    const u = await upload(data, 'repaired into a re-pointed bucket.bin');
    const x = await app.services.buckets.create({ name: 'Re-pointed (repair)', provider: 'local', endpoint: 'buckets/y-before', priority: 1 });
    await setCopies(2);
    let repair: Promise<unknown> | undefined;
    await db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM phoenix_kit_buckets WHERE uuid = ${x.uuid}::uuid FOR UPDATE`;
        repair = app.services.replication.repair();
        await untilSomeoneWaitsForALock(backend);
        if (backend.database.kind === 'postgres') expect(await listTree(localBucketRoot('buckets/y-before', dataDir))).toEqual([blobOf(u)]);
        await tx.bucket.update({ where: { uuid: x.uuid }, data: { endpoint: 'buckets/y-after' } });
      },
      { timeout: 20_000 },
    );
    await repair;
    expect(await listTree(localBucketRoot('buckets/y-before', dataDir))).toEqual([]);
    // whatever copy the repair recorded in the bucket is where the bucket leads now
    for (const l of (await fileState(u.file.uuid)).instances[0]!.locations.filter((l) => l.bucket.uuid === x.uuid)) {
      expect(await app.services.buckets.driverFor(await db.bucket.findUniqueOrThrow({ where: { uuid: x.uuid } })).stat(l.path as StorageKey)).not.toBeNull();
    }
    if (backend.database.kind === 'postgres') expect(await fileState(u.file.uuid)).toMatchObject({ copies: 1, underReplicated: true });
    await app.services.files.remove(null, u.file.uuid);
    expect(await listTree(localBucketRoot('buckets/y-after', dataDir))).toEqual([]);
    await app.services.buckets.remove(x.uuid);
    await layout({ a: {}, b: {} });
  });

  test('a file deleted while its repair copy is being written leaves no copy behind', async () => {
    await layout({ local: { priority: 1 }, a: { priority: 2 }, b: { enabled: false } });
    await setCopies(1);
    const u = await upload(randomBytes(31 * KiB), 'deleted during repair.bin');
    const path = blobOf(u);
    await setCopies(2);
    let repair: Promise<unknown> = Promise.resolve();
    await db.$transaction(
      async (tx) => {
        await lockObjects(tx, [path]);
        repair = app.services.replication.repair();
        // on PostgreSQL the repair has written its copy to A and now waits for the object's lock; PGlite runs one
        // transaction at a time, so there the repair starts after the file is gone
        await untilSomeoneWaitsForALock(backend);
        if (backend.database.kind === 'postgres') expect(await holders(path)).toEqual(['a', 'local']);
        await tx.file.delete({ where: { uuid: u.file.uuid } });
      },
      { timeout: 20_000 },
    );
    await repair;
    await app.services.files.releaseObjects([{ bucketUuid: ids.local, path }]);
    expect(await holders(path)).toEqual([]);
    await layout({ b: {} });
  });

  test('storage health counts each file once, a tile for the image it belongs to, however many it lists', async () => {
    await layout({ local: { priority: 1 }, a: { enabled: false }, b: { enabled: false } });
    await setCopies(1);
    const parent = await upload(randomBytes(3 * KiB), 'image with tiles.bin');
    const other = await upload(randomBytes(3 * KiB), 'other.bin');
    // a tile of `parent` (a system file) with one copy, as the tile service stores it
    const tilePath = `_tiles/${parent.file.uuid}/9/0_0.jpg`;
    const tile = await db.file.create({
      data: {
        originalFileName: '0_0.jpg', fileName: '0_0.jpg', mimeType: 'image/jpeg', fileType: 'image', ext: 'jpg',
        fileChecksum: randomUUID(), userFileChecksum: randomUUID(), size: 10n, status: 'active', systemManaged: true,
        parentFileUuid: parent.file.uuid, userUuid: alice.uuid,
        instances: { create: { variantName: 'original', fileName: tilePath, mimeType: 'image/jpeg', ext: 'jpg', checksum: 'c', size: 10n,
          processingStatus: 'completed', locations: { create: { bucketUuid: ids.local, path: tilePath } } } },
      },
    });
    await setCopies(2);
    try {
      const report = await health();
      const listed = report.underReplicatedFiles.map((f) => f.uuid);
      expect(listed).toEqual(expect.arrayContaining([parent.file.uuid, other.file.uuid]));
      expect(listed).not.toContain(tile.uuid);
      expect(report.underReplicatedCount).toBe(new Set(listed).size);
      // the count is of every such file, not of those listed
      const firstOnly = await app.services.replication.underReplicatedFiles(1);
      expect(firstOnly).toEqual({ count: report.underReplicatedCount, fileUuids: [[...listed].sort()[0]] });
    } finally {
      await setCopies(1);
      await app.services.files.remove(null, parent.file.uuid);
      await app.services.files.remove(null, other.file.uuid);
      await layout({ a: {}, b: {} });
    }
  });

  test('a file deleted while its repair copy waits to be recorded: the copy recorded first goes with the file', async () => {
    await layout({ local: { priority: 1 }, a: { priority: 2 }, b: { enabled: false } });
    await setCopies(1);
    const u = await upload(randomBytes(29 * KiB), 'deleted after repair.bin');
    const path = blobOf(u);
    await setCopies(2);
    let repair: Promise<unknown> = Promise.resolve();
    let deletion: Promise<unknown> = Promise.resolve();
    await db.$transaction(
      async (tx) => {
        await lockObjects(tx, [path]);
        // the repair writes its copy to A and waits to record it; the delete reads the file's copies (Local only)
        // and waits for the same lock behind it
        repair = app.services.replication.repair();
        await untilSomeoneWaitsForALock(backend);
        deletion = app.services.files.remove(null, u.file.uuid);
        await untilSomeoneWaitsForALock(backend, 2);
      },
      { timeout: 20_000 },
    );
    await Promise.all([repair, deletion]);
    expect(await db.file.count({ where: { uuid: u.file.uuid } })).toBe(0);
    expect(await holders(path)).toEqual([]); // A's copy went too (afterEach: no orphans anywhere)
    await layout({ b: {} });
  });

  test('bytes left on a bucket that was down when their file was deleted, and stale temp objects, go with the sweep', async () => {
    await layout({ local: { priority: 1 }, a: { priority: 2 }, b: { priority: 3 } });
    await setCopies(2);
    const gone = await upload(randomBytes(26 * KiB), 'deleted during outage.bin');
    const kept = await upload(randomBytes(27 * KiB), 'still here.bin');
    expect(placed(gone)).toEqual(['a', 'local']);
    await serverA.stop();
    try {
      await app.services.files.remove(null, gone.file.uuid);
    } finally {
      await serverA.start();
    }
    expect(await holders(blobOf(gone))).toEqual(['a']); // A could not be told
    const bRow = await db.bucket.findUniqueOrThrow({ where: { uuid: ids.b } });
    const temp = storageKey('tmp', randomUUID());
    await app.services.buckets.driverFor(bRow).put(temp, Readable.from([randomBytes(100)]), { contentType: 'application/octet-stream' });

    // within the grace period nothing goes: an upload may be about to reference a fresh object
    const early = await app.services.storageSweep.sweep();
    expect(early).toMatchObject({ buckets: 3, unreachable: 0, removed: 0 });
    expect(await holders(blobOf(gone))).toEqual(['a']);

    await serverB.stop();
    let later;
    try {
      later = await app.services.storageSweep.sweep(new Date(Date.now() + SWEEP_GRACE_MS + 60_000));
    } finally {
      await serverB.start();
    }
    expect(later).toMatchObject({ buckets: 3, unreachable: 1, removed: 1 });
    expect(await holders(blobOf(gone))).toEqual([]);
    expect(await holders(blobOf(kept))).toEqual(['a', 'local']);
    expect((await read(kept.file.url)).status).toBe(200);

    const withB = await app.services.storageSweep.sweep(new Date(Date.now() + SWEEP_GRACE_MS + 60_000));
    expect(withB).toMatchObject({ unreachable: 0, removed: 1 });
    expect(await objectsIn(ids.b)).not.toContain(temp);
  });

  test('temp files of local writes a stopped process never finished go with the sweep once past the grace period', async () => {
    const localRow = await db.bucket.findUniqueOrThrow({ where: { uuid: ids.local } });
    const root = localBucketRoot(localRow.endpoint, dataDir);
    const stale = [join(root, 'tmp', `.pk-tmp-${randomUUID()}`), join(root, 'blobs', 'ab', 'cd', `.pk-tmp-${randomUUID()}`)];
    const fresh = join(root, 'tmp', `.pk-tmp-${randomUUID()}`);
    const old = new Date(Date.now() - SWEEP_GRACE_MS - 60_000);
    for (const path of [...stale, fresh]) {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, randomBytes(500));
    }
    for (const path of stale) await utimes(path, old, old);
    const report = await app.services.storageSweep.sweep();
    expect(report).toMatchObject({ unreachable: 0, removed: 2 });
    expect(stale.filter((path) => existsSync(path))).toEqual([]);
    expect(existsSync(fresh)).toBe(true); // a write that may still be going on
    await rm(fresh);
  });

  test('the sweep leaves buckets that share storage alone, and never touches what the server did not write', async () => {
    const localRow = await db.bucket.findUniqueOrThrow({ where: { uuid: ids.local } });
    const root = localBucketRoot(localRow.endpoint, dataDir);
    const orphan = join(root, 'blobs', 'ff', 'ff', 'f'.repeat(64));
    const byHand = join(root, 'by-hand', 'readme.txt');
    for (const path of [orphan, byHand]) {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, 'not referenced');
    }
    // buckets cannot be made to share storage any more; a row from before that rule still can
    const twin = await db.bucket.create({ data: { name: 'Twin', provider: 'local', endpoint: localRow.endpoint, enabled: false } });
    const later = new Date(Date.now() + SWEEP_GRACE_MS + 60_000);
    try {
      // the twin could reference what lies in the shared directory: neither is swept
      expect(await app.services.storageSweep.sweep(later)).toMatchObject({ shared: 2, removed: 0 });
      expect(existsSync(orphan)).toBe(true);
    } finally {
      await app.services.buckets.remove(twin.uuid);
    }
    expect(await app.services.storageSweep.sweep(later)).toMatchObject({ shared: 0, removed: 1 });
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(byHand)).toBe(true);
    await rm(join(root, 'by-hand'), { recursive: true });
  });

  test('sweepStorage is admin-only and reports what it did', async () => {
    await upload(randomBytes(KiB), 'kept by the sweep.bin'); // an object to scan, which a row points at
    const refused = await execute(app, SweepDocument, {}, alice.headers);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const swept = await execute(app, SweepDocument, {}, owner.headers);
    expect(swept.errors).toBeUndefined();
    expect(swept.data!.sweepStorage).toMatchObject({ buckets: await db.bucket.count(), unreachable: 0, removed: 0 });
    expect(swept.data!.sweepStorage.scanned).toBeGreaterThan(0);
  });

  test('repairStorage is admin-only', async () => {
    const refused = await execute(app, RepairDocument, {}, alice.headers);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const health = await execute(app, HealthDocument, {}, alice.headers);
    expect(health.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  test('both selected buckets down: a typed BucketUnavailableError, nothing stored anywhere', async () => {
    await layout({ local: { priority: 0 }, a: { priority: 1 }, b: { priority: 2 } });
    await setCopies(2);
    const rowsBefore = await db.file.count();
    const data = randomBytes(40 * KiB);
    await Promise.all([serverA.stop(), serverB.stop()]);
    try {
      const result = await uploadVia(app, UploadDocument, { name: 'nowhere.bin', data }, { headers: alice.headers });
      expect(result.data?.uploadFile).toMatchObject({ __typename: 'BucketUnavailableError', code: 'BUCKET_UNAVAILABLE' });
    } finally {
      await Promise.all([serverA.start(), serverB.start()]);
    }
    expect(await db.file.count()).toBe(rowsBefore);
  });

  test('both selected buckets down: bytes already stored are still answered, a body still arriving included', async () => {
    await layout({ local: { priority: 0 }, a: { priority: 1 }, b: { priority: 2 } });
    await setCopies(2);
    // larger than the stream buffers, sent in 64 KiB pieces: most of it arrives after both writes have failed
    const data = randomBytes(24 * MiB);
    const stored = await upload(data, 'stored.bin');
    expect(placed(stored)).toEqual(['a', 'b']);
    const bob = await signUp(app);
    const rowsBefore = await db.file.count();
    await Promise.all([serverA.stop(), serverB.stop()]);
    const server = await startHttpServer(app);
    try {
      const send = async (user: TestUser, bytes: Buffer) => {
        const chunks = Array.from({ length: Math.ceil(bytes.length / (64 * KiB)) }, (_, i) => bytes.subarray(i * 64 * KiB, (i + 1) * 64 * KiB));
        const response = await postStreamedUpload(server.origin, UploadDocument, { name: 'again.bin', chunks, size: bytes.length }, user.headers);
        return JSON.parse(response.body.toString()).data.uploadFile;
      };
      expect(await send(alice, data)).toMatchObject({ __typename: 'MutationUploadFileSuccess', data: { duplicate: true, file: { uuid: stored.file.uuid } } });
      const shared = await send(bob, data);
      expect(shared).toMatchObject({ __typename: 'MutationUploadFileSuccess', data: { duplicate: false } });
      expect(placed(shared.data)).toEqual(['a', 'b']); // the stored copies, nothing written
      expect(await send(alice, randomBytes(24 * MiB))).toMatchObject({ __typename: 'BucketUnavailableError', code: 'BUCKET_UNAVAILABLE' });
    } finally {
      await server.close();
      await Promise.all([serverA.start(), serverB.start()]);
    }
    expect(await db.file.count()).toBe(rowsBefore + 1);
  });

  test.each<['local' | 'a']>([['local'], ['a']])(
    'a copy deleted behind the server\'s back (%s) is marked failed on read, the read fails over, repair restores it',
    async (lost) => {
      const survivor = lost === 'local' ? 'a' : 'local';
      await layout({ [lost]: { priority: 1 }, [survivor]: { priority: 2 }, b: { enabled: false } } as Layout);
      await setCopies(2);
      const data = randomBytes(123 * KiB);
      const u = await upload(data, `lost-${lost}.bin`);
      expect(placed(u)).toEqual([lost, survivor].sort());
      const path = blobOf(u);

      // remove the object from the storage itself, not through the app
      const row = await db.bucket.findUniqueOrThrow({ where: { uuid: ids[lost] } });
      await app.services.buckets.driverFor(row).delete(path as StorageKey);
      expect(await holders(path)).toEqual([survivor]);

      const served = await read(u.file.url);
      expect(served.status).toBe(200);
      expect(served.body.equals(data)).toBe(true);
      const state = await fileState(u.file.uuid);
      const statusByBucket = Object.fromEntries(state.instances[0]!.locations.map((l) => [nameOf(l.bucket.uuid), l.status]));
      expect(statusByBucket).toEqual({ [lost]: 'failed', [survivor]: 'active' });
      expect(state).toMatchObject({ copies: 1, underReplicated: true });
      expect((await health()).underReplicatedFiles.map((f) => f.uuid)).toContain(u.file.uuid);

      const repaired = await execute(app, RepairDocument, {}, owner.headers);
      expect(repaired.data!.repairStorage.copiesAdded).toBeGreaterThanOrEqual(1);
      expect((await health()).underReplicatedFiles.map((f) => f.uuid)).not.toContain(u.file.uuid);
      const after = await fileState(u.file.uuid);
      expect(after).toMatchObject({ copies: 2, underReplicated: false });
      expect(after.instances[0]!.locations).toHaveLength(2); // the failed row was reused, not duplicated
      expect(await holders(path)).toEqual([lost, survivor].sort());
      if (lost === 'local') expect(existsSync(join(localBucketRoot('priv/media', dataDir), path))).toBe(true);
      await layout({ b: {} });
    },
  );

  test('every copy lost: uploading the same bytes again puts the copies back under the same file', async () => {
    await layout({ local: { priority: 1 }, a: { priority: 2 }, b: { enabled: false } });
    await setCopies(2);
    const data = randomBytes(45 * KiB);
    const u = await upload(data, 'lost everywhere.bin');
    const path = blobOf(u);
    for (const name of ['local', 'a'] as const) {
      const row = await db.bucket.findUniqueOrThrow({ where: { uuid: ids[name] } });
      await app.services.buckets.driverFor(row).delete(path as StorageKey);
    }
    expect((await read(u.file.url)).status).toBe(404); // both copies found missing and marked failed: none left
    expect(await fileState(u.file.uuid)).toMatchObject({ copies: 0, underReplicated: true });

    const again = await upload(data, 'found it again.bin');
    expect(again).toMatchObject({ duplicate: true, file: { uuid: u.file.uuid, copies: 2, underReplicated: false } });
    const locations = (await fileState(u.file.uuid)).instances[0]!.locations;
    expect(locations).toHaveLength(2); // the failed rows are reused, not duplicated
    expect(locations.every((l) => l.status === 'active')).toBe(true);
    expect(await holders(path)).toEqual(['a', 'local']);
    const served = await read(u.file.url);
    expect(served.status).toBe(200);
    expect(served.body.equals(data)).toBe(true);
    expect((await health()).underReplicatedFiles.map((f) => f.uuid)).not.toContain(u.file.uuid);
    await layout({ b: {} });
  });

  test.each([
    ['local', 'a'],
    ['a', 'local'],
  ] as const)('a damaged copy in %s (other bytes, shorter) is marked failed; full and ranged reads fail over to %s', async (damaged, intact) => {
    await layout({ [damaged]: { priority: 1 }, [intact]: { priority: 2 }, b: { enabled: false } });
    await setCopies(2);
    const data = randomBytes(60 * KiB);
    const u = await upload(data, `damaged-${damaged}.bin`);
    expect(placed(u)).toEqual([damaged, intact].sort());
    const path = blobOf(u) as StorageKey;
    const short = randomBytes(1000);
    const row = await db.bucket.findUniqueOrThrow({ where: { uuid: ids[damaged] } });
    await app.services.buckets.driverFor(row).put(path, Readable.from([short]), { contentType: 'application/octet-stream', size: short.length });

    const ranged = await app.fetch(`http://localhost${pathOf(u.file.url)}`, { headers: { range: 'bytes=30000-30009' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(30_000, 30_010))).toBe(true);
    const full = await read(u.file.url);
    expect(full.status).toBe(200);
    expect(full.body.equals(data)).toBe(true);
    const locations = (await fileState(u.file.uuid)).instances[0]!.locations;
    expect(Object.fromEntries(locations.map((l) => [nameOf(l.bucket.uuid), l.status]))).toEqual({ [damaged]: 'failed', [intact]: 'active' });

    // repair writes the bytes over the damaged object (it is there, but not whole) and revives its row
    expect(await app.services.replication.repair()).toMatchObject({ copiesAdded: 1, stillUnderReplicated: 0 });
    const repaired = (await fileState(u.file.uuid)).instances[0]!.locations;
    expect(repaired.map((l) => l.status)).toEqual(['active', 'active']);
    const driver = app.services.buckets.driverFor(row);
    expect(Buffer.concat(await (await driver.get(path)).toArray()).equals(data)).toBe(true);
    await app.services.files.remove(null, u.file.uuid);
    await layout({ local: {}, a: {}, b: {} });
  });

  test('a copy is never marked failed for a stale size or a range past the end: the open is refused instead', async () => {
    await layout({ local: { priority: 1 }, a: { enabled: false }, b: { enabled: false } });
    await setCopies(1);
    const data = randomBytes(12 * KiB);
    const u = await upload(data, 'changing.bin');
    const instance = await db.fileInstance.findFirstOrThrow({ where: { fileUuid: u.file.uuid, variantName: 'original' } });
    const refused = await app.services.files.open({ ...instance, size: instance.size + 1n }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    // a range past the end is the caller's: refused, and no copy is blamed for it
    await expect(app.services.files.open(instance, { start: data.length })).rejects.toMatchObject({ code: 'STORAGE_RANGE_NOT_SATISFIABLE' });
    expect((await fileState(u.file.uuid)).instances[0]!.locations.map((l) => l.status)).toEqual(['active']);
    const opened = await app.services.files.open(instance);
    expect(Buffer.concat(await opened.stream.toArray()).equals(data)).toBe(true);
    await app.services.files.remove(null, u.file.uuid);
    await layout({ local: {}, a: {}, b: {} });
  });

  test('a damaged copy in a signed S3 bucket is not redirected to: the read fails over and marks it', async () => {
    await app.services.buckets.update(ids.a, { accessType: 'signed' });
    try {
      await layout({ local: { priority: 2 }, a: { priority: 1 }, b: { enabled: false } });
      await setCopies(2);
      const data = randomBytes(22 * KiB);
      const u = await upload(data, 'signed-damaged.bin');
      expect(placed(u)).toEqual(['a', 'local']);
      const aRow = await db.bucket.findUniqueOrThrow({ where: { uuid: ids.a } });
      const short = randomBytes(100);
      await app.services.buckets.driverFor(aRow).put(blobOf(u) as StorageKey, Readable.from([short]), { contentType: 'application/octet-stream', size: 100 });
      const response = await app.fetch(`http://localhost${pathOf(u.file.url)}`, { redirect: 'manual' });
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
      const locations = (await fileState(u.file.uuid)).instances[0]!.locations;
      expect(Object.fromEntries(locations.map((l) => [nameOf(l.bucket.uuid), l.status]))).toEqual({ a: 'failed', local: 'active' });
      await app.services.files.remove(null, u.file.uuid);
    } finally {
      await app.services.buckets.update(ids.a, { accessType: 'public' });
      await layout({ local: {}, a: {}, b: {} });
    }
  });

  test('copies in a disabled bucket (not read) are not reused: another user\'s upload and the same user\'s both get readable copies', async () => {
    await layout({ local: { priority: 1 }, a: { enabled: false }, b: { enabled: false } });
    await setCopies(1);
    const data = randomBytes(30 * KiB);
    const mine = await upload(data, 'parked.bin');
    expect(placed(mine)).toEqual(['local']);
    await layout({ local: { enabled: false }, a: { priority: 1 }, b: { enabled: false } });
    expect((await read(mine.file.url)).status).toBe(404); // its only copy is in a bucket that is not read

    const theirs = (await uploadVia(app, UploadDocument, { name: 'theirs.bin', data }, { headers: owner.headers })).data?.uploadFile;
    if (theirs?.__typename !== 'MutationUploadFileSuccess') throw new Error(JSON.stringify(theirs));
    expect(theirs.data.duplicate).toBe(false);
    expect(placed(theirs.data)).toEqual(['a']);
    const again = await upload(data, 'parked again.bin');
    expect(again).toMatchObject({ duplicate: true, file: { uuid: mine.file.uuid } });
    for (const url of [theirs.data.file.url, mine.file.url]) {
      const served = await read(url);
      expect(served.status).toBe(200);
      expect(served.body.equals(data)).toBe(true);
    }
    expect((await fileState(mine.file.uuid)).instances[0]!.locations.map((l) => nameOf(l.bucket.uuid)).sort()).toEqual(['a', 'local']);
    await app.services.files.remove(null, theirs.data.file.uuid);
    await app.services.files.remove(null, mine.file.uuid);
    await layout({ local: {}, a: {}, b: {} });
  });

  test('a copy in a disabled bucket does not count: health lists the file, repair copies it from a readable copy, enabling the bucket counts it again', async () => {
    await layout({ local: { priority: 1 }, a: { priority: 2 }, b: { enabled: false } });
    await setCopies(2);
    const data = randomBytes(20 * KiB);
    const stored = await upload(data, 'half parked.bin');
    expect(placed(stored)).toEqual(['a', 'local']);
    expect(stored.file).toMatchObject({ copies: 2, underReplicated: false });

    await layout({ local: { priority: 1 }, a: { enabled: false }, b: {} });
    expect(await fileState(stored.file.uuid)).toMatchObject({ copies: 1, underReplicated: true });
    const short = await health();
    expect(short.underReplicatedFiles).toContainEqual({ uuid: stored.file.uuid, copies: 1, underReplicated: true });

    const repaired = await execute(app, RepairDocument, {}, owner.headers);
    expect(repaired.errors).toBeUndefined();
    expect(repaired.data!.repairStorage.copiesAdded).toBeGreaterThanOrEqual(1);
    const after = await fileState(stored.file.uuid);
    expect(after).toMatchObject({ copies: 2, underReplicated: false });
    expect(after.instances[0]!.locations.map((l) => nameOf(l.bucket.uuid)).sort()).toEqual(['a', 'b', 'local']);
    expect((await health()).underReplicatedFiles.map((f) => f.uuid)).not.toContain(stored.file.uuid);
    expect(await holders(blobOf(stored))).toEqual(['a', 'b', 'local']);

    await layout({ local: {}, a: {}, b: {} });
    expect(await fileState(stored.file.uuid)).toMatchObject({ copies: 3, underReplicated: false });
    await app.services.files.remove(null, stored.file.uuid);
  });

  test('when every copy is lost the URL answers 404 (gone); when none can be read now, 503 (retry later); never other bytes', async () => {
    await layout({ local: { priority: 1 }, a: { enabled: false }, b: { enabled: false } });
    await setCopies(1);
    const u = await upload(randomBytes(20 * KiB), 'doomed.bin');
    const row = await db.bucket.findUniqueOrThrow({ where: { uuid: ids.local } });
    await app.services.buckets.driverFor(row).delete(blobOf(u) as StorageKey);
    const first = await read(u.file.url);
    expect(first.status).toBe(404); // the copy was found missing (and marked failed): nothing will bring it back
    expect(first.body.toString()).toBe('Not found\n');
    expect((await read(u.file.url)).status).toBe(404);
    await app.services.files.remove(null, u.file.uuid);

    await layout({ local: { enabled: false }, a: { priority: 1 }, b: { enabled: false } });
    const held = await upload(randomBytes(20 * KiB), 'held.bin');
    expect(placed(held)).toEqual(['a']);
    await serverA.stop();
    try {
      const late = await read(held.file.url);
      expect(late.status).toBe(503); // the only copy is in a bucket that does not answer now
      expect(late.body.toString()).not.toContain(blobOf(held));
    } finally {
      await serverA.start();
    }
    expect((await read(held.file.url)).status).toBe(200);
    await app.services.files.remove(null, held.file.uuid);
    await layout({ local: {}, a: {}, b: {} });
  });

  test('a signed S3 bucket answers reads with a redirect to a short-lived presigned URL that serves the bytes', async () => {
    await app.services.buckets.update(ids.a, { accessType: 'signed' });
    try {
      await layout({ local: { priority: 0 }, a: { priority: 1 }, b: { priority: 2 } });
      await setCopies(1);
      const data = randomBytes(33 * KiB);
      const u = await upload(data, 'signed.bin');
      expect(placed(u)).toEqual(['a']);
      const response = await app.fetch(`http://localhost${pathOf(u.file.url)}`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      const location = response.headers.get('location')!;
      expect(location.startsWith(serverA.endpoint)).toBe(true);
      expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('300');
      const direct = await fetch(location);
      expect(direct.status).toBe(200);
      expect(Buffer.from(await direct.arrayBuffer()).equals(data)).toBe(true);
      // a presigned URL is signed for GET (S3 refuses a HEAD sent there): HEAD is answered by the server itself
      const head = await app.fetch(`http://localhost${pathOf(u.file.url)}`, { method: 'HEAD', redirect: 'manual' });
      expect(head.status).toBe(200);
      expect(head.headers.get('location')).toBeNull();
      expect(head.headers.get('content-length')).toBe(String(data.length));
      // a URL that expires sooner leads to a presigned URL that expires no later
      const brief = app.services.fileUrls.url(u.file.uuid, 'original', new Date(Date.now() + 20_000));
      const briefly = await app.fetch(`http://localhost${pathOf(brief)}`, { redirect: 'manual' });
      expect(briefly.status).toBe(302);
      const expires = Number(new URL(briefly.headers.get('location')!).searchParams.get('X-Amz-Expires'));
      expect(expires).toBeGreaterThanOrEqual(18);
      expect(expires).toBeLessThanOrEqual(20);
    } finally {
      await app.services.buckets.update(ids.a, { accessType: 'public' });
    }
  });

  test('a signed S3 bucket that does not answer is not redirected to: the read fails over to the next copy', async () => {
    await app.services.buckets.update(ids.a, { accessType: 'signed' });
    await serverA.start();
    try {
      await layout({ local: { priority: 0 }, a: { priority: 1 }, b: { priority: 2 } });
      await setCopies(2);
      const data = randomBytes(21 * KiB);
      const u = await upload(data, 'signed-down.bin');
      expect(placed(u)).toEqual(['a', 'b']);
      await serverA.stop();
      const response = await app.fetch(`http://localhost${pathOf(u.file.url)}`, { redirect: 'manual' });
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
    } finally {
      await serverA.start();
      await app.services.buckets.update(ids.a, { accessType: 'public' });
    }
  });

  test('a copy that cannot be promoted to its final key is dropped: the upload succeeds under-replicated, nothing is left', async () => {
    await layout({ local: { priority: 1 }, a: { priority: 2 }, b: { enabled: false } });
    await setCopies(2);
    const data = randomBytes(37 * KiB);
    const key = app.services.files.blobKey(createHash('sha256').update(data).digest('hex'));
    // a directory with content where the local copy's final key goes: the rename onto it fails
    const blocker = join(localBucketRoot('priv/media', dataDir), key);
    await mkdir(blocker, { recursive: true });
    await writeFile(join(blocker, 'keep'), 'x');
    let u: Uploaded;
    try {
      u = await upload(data, 'half-promoted.bin');
      expect(u.file).toMatchObject({ copies: 1, underReplicated: true });
      expect(placed(u)).toEqual(['a']);
      expect((await read(u.file.url)).body.equals(data)).toBe(true);
      expect((await objectsIn(ids.local)).filter((p) => p.startsWith('tmp/'))).toEqual([]);
    } finally {
      await rm(blocker, { recursive: true, force: true });
    }
    const repaired = await execute(app, RepairDocument, {}, owner.headers);
    expect(repaired.errors).toBeUndefined();
    expect(await fileState(u.file.uuid)).toMatchObject({ copies: 2, underReplicated: false });
    expect(await holders(key)).toEqual(['a', 'local']);
    await layout({ b: {} });
  });

  test('no copy can be promoted: a typed BucketUnavailableError, no row, no bytes', async () => {
    await layout({ local: { priority: 1 }, a: { enabled: false }, b: { enabled: false } });
    await setCopies(1);
    const data = randomBytes(29 * KiB);
    const key = app.services.files.blobKey(createHash('sha256').update(data).digest('hex'));
    const blocker = join(localBucketRoot('priv/media', dataDir), key);
    await mkdir(blocker, { recursive: true });
    await writeFile(join(blocker, 'keep'), 'x');
    const rowsBefore = await db.file.count();
    try {
      const result = await uploadVia(app, UploadDocument, { name: 'unpromoted.bin', data }, { headers: alice.headers });
      expect(result.data?.uploadFile).toMatchObject({ __typename: 'BucketUnavailableError', code: 'BUCKET_UNAVAILABLE' });
      expect(await db.file.count()).toBe(rowsBefore);
      expect((await objectsIn(ids.local)).filter((p) => !p.startsWith(`${key}/`) && p.includes(key.slice(-64)))).toEqual([]);
    } finally {
      await rm(blocker, { recursive: true, force: true });
      await layout({ a: {}, b: {} });
    }
  });

  test('an enabled bucket that cannot be opened (unusable path prefix) is reported and does not break uploads', async () => {
    const broken = await db.bucket.create({
      data: { name: 'Broken prefix', provider: 'local', endpoint: 'buckets/broken', pathPrefix: '../../outside', priority: 1 },
    });
    try {
      await layout({ local: { priority: 2 }, a: { enabled: false }, b: { enabled: false } });
      await setCopies(2);
      const buckets = await execute(app, BucketsDocument, {}, owner.headers);
      expect(buckets.errors).toBeUndefined();
      const status = buckets.data!.buckets.edges.find((e) => e.node.uuid === broken.uuid)?.node.status;
      expect(status).toMatchObject({ reachable: false, reason: expect.stringMatching(/prefix/i) });

      const result = await uploadVia(app, UploadDocument, { name: 'despite.bin', data: randomBytes(5 * KiB) }, { headers: alice.headers });
      expect(result.errors).toBeUndefined();
      expect(result.data?.uploadFile).toMatchObject({
        __typename: 'MutationUploadFileSuccess',
        data: { file: { copies: 1, underReplicated: true } },
      });
      expect(await listTree(join(dataDir, 'outside'))).toEqual([]);
      expect(await listTree(join(dataDir, '..', 'outside'))).toEqual([]);
    } finally {
      await db.bucket.delete({ where: { uuid: broken.uuid } });
      await layout({ a: {}, b: {} });
    }
  });

  test('50 simultaneous uploads of the same bytes with 2 copies: one row, one object per bucket', async () => {
    await layout({ local: { priority: 0 }, a: { priority: 1 }, b: { priority: 2 } });
    await setCopies(2);
    const data = randomBytes(64 * KiB);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => uploadVia(app, UploadDocument, { name: `r${i}.bin`, data }, { headers: alice.headers })),
    );
    const payloads = results.map((r) => {
      const p = r.data?.uploadFile;
      if (p?.__typename !== 'MutationUploadFileSuccess') throw new Error(JSON.stringify(r));
      return p.data;
    });
    expect(new Set(payloads.map((p) => p.file.uuid)).size).toBe(1);
    expect(payloads.filter((p) => !p.duplicate)).toHaveLength(1);
    const path = blobOf(payloads[0]!);
    expect(await db.fileLocation.count({ where: { path } })).toBe(2);
    expect(await holders(path)).toEqual(['a', 'b']);
    expect(await listS3rverKeys(serverA.directory, serverA.bucket).then((k) => k.filter((x) => x.startsWith('tmp/')))).toEqual([]);
  });
});
