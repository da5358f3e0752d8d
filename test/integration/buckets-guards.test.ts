import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { migrateDown, migrateUp } from '../../src/db/migrations/runner.js';
import type { S3Driver } from '../../src/storage/s3-driver.js';
import { normalizeKey } from '../../src/storage/storage-key.js';
import type { CreateBucketInput, UpdateBucketInput } from '../gql/graphql.js';
import { graphql } from '../gql/index.js';
import { createTestApp, grantRole, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';
import { tempDataDir, uploadVia } from '../helpers/upload.js';

// force_path_style (V35), bucket connection changes and deletion against copies, and who may read Bucket fields

const CreateDocument = graphql(`
  mutation BucketGuardsCreate($input: CreateBucketInput!) {
    createBucket(input: $input) {
      __typename
      ... on MutationCreateBucketSuccess { data { uuid name provider endpoint forcePathStyle } }
      ... on ValidationError { issues { path message } }
      ... on Error { message code }
    }
  }
`);

const UpdateDocument = graphql(`
  mutation BucketGuardsUpdate($input: UpdateBucketInput!) {
    updateBucket(input: $input) {
      __typename
      ... on MutationUpdateBucketSuccess { data { uuid name endpoint forcePathStyle status { reachable reason } } }
      ... on BucketInUseError { copies }
      ... on ValidationError { issues { path message } }
      ... on Error { message code }
    }
  }
`);

const DeleteDocument = graphql(`
  mutation BucketGuardsDelete($input: DeleteBucketInput!) {
    deleteBucket(input: $input) {
      __typename
      ... on MutationDeleteBucketSuccess { data }
      ... on BucketInUseError { copies }
      ... on Error { message code }
    }
  }
`);

const ListDocument = graphql(`
  query BucketGuardsList {
    buckets(first: 100) { edges { node { uuid forcePathStyle status { reachable reason } } } }
  }
`);

const UploadDocument = graphql(`
  mutation BucketGuardsUpload($input: UploadFileInput!) {
    uploadFile(input: $input) {
      __typename
      ... on MutationUploadFileSuccess { data { file { uuid } } }
      ... on Error { message code }
    }
  }
`);

const DeleteFileDocument = graphql(`
  mutation BucketGuardsDeleteFile($input: FileRefInput!) {
    deleteFile(input: $input) { __typename }
  }
`);

const FileBucketDocument = graphql(`
  query BucketGuardsFileBucket($uuid: UUID!) {
    file(uuid: $uuid) { uuid instances { locations { bucket { id uuid name } } } }
  }
`);

const BucketFieldsDocument = graphql(`
  query BucketGuardsFields {
    __type(name: "Bucket") { fields { name type { kind ofType { kind ofType { kind } } } } }
  }
`);

describe.each(backends)('bucket guards on %s', (name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let s3: S3TestServer;
  let admin: TestUser;
  let member: TestUser;

  const uniqueName = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;
  const localInput = (o: Partial<CreateBucketInput> = {}): CreateBucketInput => ({
    name: uniqueName('Local'),
    provider: 'local',
    endpoint: `buckets/${randomUUID()}`,
    ...o,
  });
  const s3Input = (o: Partial<CreateBucketInput> = {}): CreateBucketInput => ({
    name: uniqueName('S3'),
    ...s3.connection(),
    pathPrefix: randomUUID(), // each bucket its own storage: two may not share it
    ...o,
  });
  const snapshot = async () =>
    JSON.stringify(await db.bucket.findMany({ orderBy: { uuid: 'asc' } }), (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

  async function create(input: CreateBucketInput) {
    const result = await execute(app, CreateDocument, { input }, admin.headers);
    const payload = result.data?.createBucket;
    if (payload?.__typename !== 'MutationCreateBucketSuccess') throw new Error(`createBucket failed: ${JSON.stringify(result)}`);
    return payload.data;
  }

  const update = async (input: UpdateBucketInput) => (await execute(app, UpdateDocument, { input }, admin.headers)).data?.updateBucket;

  /** A new local bucket that is the only enabled one, so uploads land in it. */
  async function soleBucket() {
    const bucket = await create(localInput());
    await db.bucket.updateMany({ where: { uuid: { not: bucket.uuid } }, data: { enabled: false } });
    return bucket;
  }

  async function upload(user: TestUser, data = randomBytes(2_000)) {
    const result = await uploadVia(app, UploadDocument, { name: 'guard.bin', data }, { headers: user.headers });
    const payload = result.data?.uploadFile;
    if (payload?.__typename !== 'MutationUploadFileSuccess') throw new Error(JSON.stringify(result));
    return payload.data.file;
  }

  const copiesIn = (bucketUuid: string) => db.fileLocation.count({ where: { bucketUuid } });

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    s3 = await startS3Server({ bucket: 'bucket-guards' });
    admin = await signUp(app);
    await grantRole(db, admin.uuid, 'Admin');
    member = await signUp(app);
  });

  afterAll(async () => {
    await backend.close();
    await s3.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('forcePathStyle', () => {
    test('V35 keeps how existing rows were addressed: path style with an endpoint, virtual-hosted on AWS', async () => {
      const old = await open({ prefix: 'v35_check', migrate: false });
      try {
        const { sql } = old.database;
        await migrateUp(sql, { prefix: 'v35_check', version: 34 });
        await sql.exec(`INSERT INTO v35_check.phoenix_kit_buckets (name, provider, endpoint, bucket_name) VALUES
          ('minio', 's3', 'http://minio:9000', 'b'), ('aws', 's3', NULL, 'b'), ('blank', 'r2', ' ', 'b'), ('disk', 'local', NULL, NULL)`);
        await migrateUp(sql, { prefix: 'v35_check', version: 35 });
        const rows = await sql.query<{ name: string; force_path_style: boolean }>(
          'SELECT name, force_path_style FROM v35_check.phoenix_kit_buckets ORDER BY name',
        );
        expect(Object.fromEntries(rows.map((r) => [r.name, r.force_path_style]))).toEqual({
          aws: false,
          blank: false,
          disk: true,
          minio: true,
          'Local Storage': true,
        });
        await migrateDown(sql, { prefix: 'v35_check', version: 34 });
        const column = `SELECT 1 FROM information_schema.columns WHERE table_schema = 'v35_check' AND column_name = 'force_path_style'`;
        expect(await sql.query(column)).toEqual([]);
      } finally {
        await old.close();
      }
    });

    test('defaults on create: path style with an endpoint, virtual-hosted without (AWS)', async () => {
      expect(await create(s3Input())).toMatchObject({ forcePathStyle: true });
      expect(await create(s3Input({ endpoint: null }))).toMatchObject({ endpoint: null, forcePathStyle: false });
      expect(await create(s3Input({ endpoint: null, forcePathStyle: true }))).toMatchObject({ forcePathStyle: true });
    });

    test('create and update round-trip the flag, and the bucket driver is built with it', async () => {
      // a host name: the SDK itself falls back to path style for IP endpoints such as the test server's
      const prefix = randomUUID();
      const bucket = await create(s3Input({ endpoint: `http://localhost:${s3.port}`, forcePathStyle: false, pathPrefix: prefix }));
      expect(bucket.forcePathStyle).toBe(false);
      expect(await db.bucket.findUniqueOrThrow({ where: { uuid: bucket.uuid } })).toMatchObject({ forcePathStyle: false });
      const driverOf = async () =>
        app.services.buckets.driverFor(await db.bucket.findUniqueOrThrow({ where: { uuid: bucket.uuid } })) as S3Driver;
      // virtual-hosted names cannot resolve on loopback: look at how the client addresses the bucket instead
      expect(await driverOf().then((d) => d.client.config.forcePathStyle)).toBe(false);
      const signed = async () =>
        new URL(await (await driverOf()).signedUrl(normalizeKey('a.txt'), { expiresInSeconds: 60, fileName: 'a.txt', disposition: 'inline' }));
      expect((await signed()).host).toBe(`${s3.bucket}.localhost:${s3.port}`);

      // empty, so the connection may change; with path style the live server answers
      const updated = await update({ uuid: bucket.uuid, endpoint: s3.endpoint, forcePathStyle: true });
      expect(updated).toMatchObject({
        __typename: 'MutationUpdateBucketSuccess',
        data: { forcePathStyle: true, status: { reachable: true, reason: null } },
      });
      expect(await driverOf().then((d) => d.client.config.forcePathStyle)).toBe(true);
      expect((await signed()).pathname).toBe(`/${s3.bucket}/${prefix}/a.txt`);
      const driver = await driverOf();
      const key = normalizeKey(`guards/${randomUUID()}`);
      await driver.put(key, Readable.from([Buffer.from('path style')]), { contentType: 'text/plain', size: 10 });
      expect(Buffer.concat(await (await driver.get(key)).toArray()).toString()).toBe('path style');
      await driver.delete(key);

      // null and absent keep the stored value
      const renamed = await update({ uuid: bucket.uuid, forcePathStyle: null, name: uniqueName('Renamed') });
      expect(renamed).toMatchObject({ data: { forcePathStyle: true } });
      const listed = await execute(app, ListDocument, {}, admin.headers);
      expect(listed.data?.buckets.edges.find((e) => e.node.uuid === bucket.uuid)?.node.forcePathStyle).toBe(true);
    });
  });

  describe('no two buckets share storage', () => {
    const createResult = async (input: CreateBucketInput) => (await execute(app, CreateDocument, { input }, admin.headers)).data?.createBucket;
    /** A new symbolic link in DATA_DIR to `dir` (relative to DATA_DIR), which need not exist yet. */
    const linkTo = (dir: string) => {
      const link = join(dataDir, 'links', randomUUID());
      mkdirSync(join(dataDir, 'links'), { recursive: true });
      symlinkSync(join(dataDir, dir), link);
      return link;
    };
    const refusal = (path: string) => ({
      __typename: 'ValidationError',
      issues: [{ path, message: expect.stringMatching(/^shares its storage with bucket "/) }],
    });

    test.each<[string, (dir: string) => Partial<CreateBucketInput>]>([
      ['the same directory', (dir) => ({ endpoint: dir })],
      ['the same directory, written differently', (dir) => ({ endpoint: `./${dir}/` })],
      ['a directory inside it', (dir) => ({ endpoint: `${dir}/inner` })],
      ['a path prefix that lands inside it', (dir) => ({ endpoint: dir.split('/')[0], pathPrefix: dir.split('/').slice(1).join('/') })],
      ['the filesystem root with a path prefix naming it', (dir) => ({ endpoint: '/', pathPrefix: join(dataDir, dir).slice(1) })],
      ['a symbolic link to it (made before it)', (dir) => ({ endpoint: linkTo(dir) })],
      ['a directory inside a symbolic link to it', (dir) => ({ endpoint: `${linkTo(dir)}/inner` })],
    ])('a local bucket on %s as another is refused, and nothing is created', async (_label, where) => {
      const dir = `buckets/${randomUUID()}`;
      await create(localInput({ endpoint: dir }));
      const before = await snapshot();
      expect(await createResult(localInput(where(dir)))).toMatchObject(refusal('endpoint'));
      expect(await snapshot()).toBe(before);
    });

    test.each<[string, Partial<CreateBucketInput>, string]>([
      ['the filesystem root', { provider: 'local', endpoint: '/' }, 'must not be the filesystem root'],
      ['a relative directory out of DATA_DIR', { provider: 'local', endpoint: '../elsewhere' }, 'a relative directory must stay under DATA_DIR'],
      ['an S3 endpoint carrying credentials', { provider: 's3', endpoint: 'http://key:secret@127.0.0.1:9' }, 'must be an http(s) URL'],
    ])('%s is refused, and nothing is created', async (_label, where, message) => {
      const before = await snapshot();
      const input = where.provider === 's3' ? s3Input(where) : localInput(where);
      expect(await createResult(input)).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'endpoint', message }] });
      expect(await snapshot()).toBe(before);
    });

    test('a local bucket around another (its parent directory) is refused; a sibling is accepted', async () => {
      const parent = `buckets/${randomUUID()}`;
      await create(localInput({ endpoint: `${parent}/inner` }));
      expect(await createResult(localInput({ endpoint: parent }))).toMatchObject(refusal('endpoint'));
      expect(await createResult(localInput({ endpoint: `${parent}/sibling` }))).toMatchObject({ __typename: 'MutationCreateBucketSuccess' });
    });

    test('a local bucket without an endpoint shares the default directory of the seeded bucket: refused', async () => {
      expect(await createResult({ name: uniqueName('Default dir'), provider: 'local' })).toMatchObject(refusal('endpoint'));
    });

    test('S3: the same service and bucket with the same or an enclosing prefix is refused; another prefix is accepted', async () => {
      const prefix = randomUUID();
      await create(s3Input({ pathPrefix: prefix }));
      expect(await createResult(s3Input({ pathPrefix: `/${prefix}/` }))).toMatchObject(refusal('bucketName'));
      expect(await createResult(s3Input({ pathPrefix: `${prefix}/deeper` }))).toMatchObject(refusal('bucketName'));
      expect(await createResult(s3Input({ pathPrefix: null }))).toMatchObject(refusal('bucketName'));
      expect(await createResult(s3Input())).toMatchObject({ __typename: 'MutationCreateBucketSuccess' });
    });

    test('an empty bucket re-pointed into another bucket\'s storage is refused and keeps its connection', async () => {
      const taken = `buckets/${randomUUID()}`;
      await create(localInput({ endpoint: taken }));
      const mover = await create(localInput());
      expect(await update({ uuid: mover.uuid, endpoint: `${taken}/x` })).toMatchObject(refusal('endpoint'));
      expect(await db.bucket.findUniqueOrThrow({ where: { uuid: mover.uuid } })).toMatchObject({ endpoint: mover.endpoint });
      // renaming a bucket is not a connection change: never refused for this
      expect(await update({ uuid: mover.uuid, name: uniqueName('Moved') })).toMatchObject({ __typename: 'MutationUpdateBucketSuccess' });
    });

    test('10 simultaneous creates of one directory: exactly one bucket gets it', async () => {
      const dir = `buckets/${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 10 }, () => createResult(localInput({ endpoint: dir }))));
      expect(results.filter((r) => r?.__typename === 'MutationCreateBucketSuccess')).toHaveLength(1);
      expect(results.filter((r) => r?.__typename === 'ValidationError')).toHaveLength(9);
      expect(await db.bucket.count({ where: { endpoint: dir } })).toBe(1);
    });
  });

  describe('connection changes while the bucket holds copies', () => {
    let bucket: Awaited<ReturnType<typeof create>>;
    let fileUuid: string;

    beforeAll(async () => {
      bucket = await soleBucket();
      fileUuid = (await upload(member)).uuid;
    });

    test.each<[string, Omit<UpdateBucketInput, 'uuid'>]>([
      ['provider', { provider: 's3', endpoint: 'https://s3.example.com', bucketName: 'b', accessKeyId: 'AK', secretAccessKey: 'SK' }],
      ['endpoint', { endpoint: 'buckets/elsewhere' }],
      ['endpoint cleared', { endpoint: null }],
      ['region', { region: 'eu-central-1' }],
      ['bucketName', { bucketName: 'other' }],
      ['pathPrefix', { pathPrefix: 'moved' }],
      ['forcePathStyle', { forcePathStyle: false }],
    ])('%s: refused with BucketInUseError, nothing changes', async (field, changes) => {
      const before = await snapshot();
      const result = await update({ uuid: bucket.uuid, name: 'not applied either', ...changes });
      expect(result).toMatchObject({ __typename: 'BucketInUseError', code: 'BUCKET_IN_USE', copies: await copiesIn(bucket.uuid) });
      if (result?.__typename === 'BucketInUseError') expect(result.message).toContain(field.split(' ')[0]);
      expect(await snapshot()).toBe(before);
    });

    test('name, switches, limits, CDN URL, credentials and unchanged connection values still change', async () => {
      const row = await db.bucket.findUniqueOrThrow({ where: { uuid: bucket.uuid } });
      const changes: Omit<UpdateBucketInput, 'uuid'> = {
        name: uniqueName('Renamed'),
        priority: 4,
        maxSizeMb: 50,
        accessType: 'private',
        cdnUrl: 'https://cdn.example.com',
        accessKeyId: 'rotated',
        secretAccessKey: 'rotated-secret',
        provider: row.provider,
        endpoint: row.endpoint,
        pathPrefix: '',
        region: null,
        forcePathStyle: row.forcePathStyle,
      };
      expect(await update({ uuid: bucket.uuid, ...changes })).toMatchObject({ __typename: 'MutationUpdateBucketSuccess' });
      expect(await update({ uuid: bucket.uuid, enabled: false })).toMatchObject({ __typename: 'MutationUpdateBucketSuccess' });
      expect(await db.bucket.findUniqueOrThrow({ where: { uuid: bucket.uuid } })).toMatchObject({
        name: changes.name,
        enabled: false,
        priority: 4,
        maxSizeMb: 50n,
        accessType: 'private',
        cdnUrl: 'https://cdn.example.com',
        accessKeyId: 'rotated',
        endpoint: row.endpoint,
      });
      expect(await copiesIn(bucket.uuid)).toBeGreaterThan(0);
    });

    test('once emptied, the connection can change', async () => {
      expect((await execute(app, DeleteFileDocument, { input: { uuid: fileUuid } }, member.headers)).data?.deleteFile.__typename).toBe(
        'MutationDeleteFileSuccess',
      );
      expect(await copiesIn(bucket.uuid)).toBe(0);
      expect(await update({ uuid: bucket.uuid, endpoint: 'buckets/elsewhere', forcePathStyle: false })).toMatchObject({
        __typename: 'MutationUpdateBucketSuccess',
        data: { endpoint: 'buckets/elsewhere', forcePathStyle: false },
      });
    });
  });

  describe('deletion', () => {
    test('refused while copies exist, allowed once empty; no copy is lost on the way', async () => {
      const bucket = await soleBucket();
      const file = await upload(member);
      const copies = await copiesIn(bucket.uuid);
      expect((await execute(app, DeleteDocument, { input: { uuid: bucket.uuid } }, admin.headers)).data?.deleteBucket).toMatchObject({
        __typename: 'BucketInUseError',
        copies,
      });
      expect(await copiesIn(bucket.uuid)).toBe(copies);
      await execute(app, DeleteFileDocument, { input: { uuid: file.uuid } }, member.headers);
      expect((await execute(app, DeleteDocument, { input: { uuid: bucket.uuid } }, admin.headers)).data?.deleteBucket).toEqual({
        __typename: 'MutationDeleteBucketSuccess',
        data: bucket.uuid,
      });
    });

    test('uploads racing a delete: every upload that succeeded keeps its copies', async () => {
      for (let round = 0; round < 4; round++) {
        const bucket = await soleBucket();
        const uploads = Array.from({ length: 4 }, () =>
          uploadVia(app, UploadDocument, { name: 'race.bin', data: randomBytes(20_000) }, { headers: member.headers }),
        );
        await new Promise((resolve) => setTimeout(resolve, round * 5));
        const deleted = await execute(app, DeleteDocument, { input: { uuid: bucket.uuid } }, admin.headers);
        const results = await Promise.all(uploads);
        const stored = results.flatMap((r) =>
          r.data?.uploadFile.__typename === 'MutationUploadFileSuccess' ? [r.data.uploadFile.data.file.uuid] : [],
        );
        // an upload that lost its bucket is told so, in a typed error
        for (const r of results) {
          expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
          expect(['MutationUploadFileSuccess', 'BucketUnavailableError']).toContain(r.data?.uploadFile.__typename);
        }
        for (const uuid of stored) {
          const copies = await db.fileLocation.count({ where: { fileInstance: { fileUuid: uuid } } });
          expect(copies, `file ${uuid} lost its copies`).toBeGreaterThan(0);
        }
        const outcome = deleted.data?.deleteBucket.__typename;
        expect(['MutationDeleteBucketSuccess', 'BucketInUseError']).toContain(outcome);
        if (outcome === 'MutationDeleteBucketSuccess') expect(stored).toEqual([]);
        else expect(await copiesIn(bucket.uuid)).toBeGreaterThan(0);
      }
    });

    // PostgreSQL: the insert's FOR KEY SHARE on the bucket row makes them wait; PGlite runs one transaction at a time
    test('a copy being inserted makes delete and connection changes wait, then refuse', async () => {
      const bucket = await soleBucket();
      const file = await upload(member);
      const instance = await db.fileInstance.findFirstOrThrow({ where: { fileUuid: file.uuid } });
      const target = await create(localInput({ enabled: false }));

      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let inserted!: () => void;
      const insertDone = new Promise<void>((resolve) => (inserted = resolve));
      // like repair adding a copy: the insert holds FOR KEY SHARE on the bucket row until it commits
      const repair = db.$transaction(
        async (tx) => {
          await tx.fileLocation.create({ data: { fileInstanceUuid: instance.uuid, bucketUuid: target.uuid, path: `copy/${randomUUID()}` } });
          inserted();
          await released;
        },
        { timeout: 30_000 },
      );
      await insertDone;
      const deleting = execute(app, DeleteDocument, { input: { uuid: target.uuid } }, admin.headers);
      const moving = update({ uuid: target.uuid, endpoint: 'buckets/elsewhere' });
      let settled = 0;
      for (const call of [deleting, moving]) void call.then(() => settled++);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(settled).toBe(0);
      release();
      await repair;
      expect((await deleting).data?.deleteBucket).toMatchObject({ __typename: 'BucketInUseError', copies: 1 });
      expect(await moving).toMatchObject({ __typename: 'BucketInUseError', copies: 1 });
      expect(await copiesIn(target.uuid)).toBe(1);
      expect(await db.bucket.findUniqueOrThrow({ where: { uuid: target.uuid } })).toMatchObject({ endpoint: target.endpoint });
      expect(await copiesIn(bucket.uuid)).toBeGreaterThan(0);
    });
  });

  describe('who reads Bucket fields', () => {
    let fileUuid: string;
    let adminOnly: string[];

    beforeAll(async () => {
      const bucket = await soleBucket();
      await update({ uuid: bucket.uuid, accessKeyId: 'AKID-HIDDEN' });
      fileUuid = (await upload(member)).uuid;
      const introspection = await execute(app, BucketFieldsDocument, {}, member.headers);
      adminOnly = introspection
        .data!.__type!.fields!.filter((f) => !['id', 'uuid', 'name'].includes(f.name))
        .map((f) => {
          const kind = f.type.ofType?.ofType?.kind ?? f.type.ofType?.kind ?? f.type.kind;
          return kind === 'OBJECT' ? `${f.name} { __typename }` : f.name;
        });
      expect(adminOnly).toEqual(expect.arrayContaining(['endpoint', 'accessKeyId', 'status { __typename }', 'forcePathStyle', 'usedBytes']));
    });

    /** The file's bucket with `selection`, as `who` asks for it. */
    async function bucketOfFile(who: TestUser, selection: string) {
      const response = await app.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...who.headers },
        body: JSON.stringify({
          query: `query ($uuid: UUID!) { file(uuid: $uuid) { instances { locations { bucket { ${selection} } } } } }`,
          variables: { uuid: fileUuid },
        }),
      });
      return (await response.json()) as ExecutionResult<{ file: { instances: { locations: { bucket: Record<string, unknown> }[] }[] } | null }>;
    }

    test('the owner of a file sees its bucket by id, uuid and name', async () => {
      const result = await execute(app, FileBucketDocument, { uuid: fileUuid }, member.headers);
      expect(result.errors).toBeUndefined();
      const bucket = result.data?.file?.instances[0]?.locations[0]?.bucket;
      expect(bucket).toMatchObject({ uuid: expect.any(String), name: expect.stringMatching(/^Local /) });
      expect(bucket?.id).toMatch(/\S/);
    });

    test('every other field is FORBIDDEN for the owner, with no value in the response', async () => {
      for (const selection of adminOnly) {
        const result = await bucketOfFile(member, `name ${selection}`);
        expect(result.errors?.map((e) => e.extensions?.code), selection).toEqual(['FORBIDDEN']);
        // a nullable field answers null, a non-null one nulls the file
        expect(result.data?.file?.instances[0]?.locations[0]?.bucket[selection.split(' ')[0]!] ?? null, selection).toBeNull();
        expect(JSON.stringify(result)).not.toContain('AKID-HIDDEN');
      }
    });

    test('an admin gets them all on the same file', async () => {
      const result = await bucketOfFile(admin, `name ${adminOnly.join(' ')}`);
      expect(result.errors).toBeUndefined();
      expect(result.data?.file?.instances[0]?.locations[0]?.bucket).toMatchObject({
        accessKeyId: 'AKID-HIDDEN',
        provider: 'local',
        forcePathStyle: true,
        status: { __typename: 'BucketStatus' },
      });
    });
  });
});
