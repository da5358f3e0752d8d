import { randomBytes, randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { print, type ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { encryptSecret } from '../../src/modules/files/domain/secret-box.js';
import { HEALTH_CHECK_MS } from '../../src/storage/s3-driver.js';
import type { CreateBucketInput, UpdateBucketInput } from '../gql/graphql.js';
import { graphql } from '../gql/index.js';
import { createTestApp, grantRole, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';
import { tempDataDir, uploadVia } from '../helpers/upload.js';

const MiB = 1024 * 1024;

const ListDocument = graphql(`
  query BucketsList {
    buckets(first: 100) {
      edges {
        node {
          uuid name provider region endpoint bucketName accessKeyId hasSecretAccessKey cdnUrl pathPrefix enabled priority
          maxSizeMb accessType usedBytes freeBytes status { reachable reason }
        }
      }
    }
  }
`);

const CreateDocument = graphql(`
  mutation BucketsCreate($input: CreateBucketInput!) {
    createBucket(input: $input) {
      __typename
      ... on MutationCreateBucketSuccess {
        data { uuid name provider endpoint bucketName accessKeyId hasSecretAccessKey enabled priority maxSizeMb accessType }
      }
      ... on ValidationError { issues { path message } }
      ... on Error { message code }
    }
  }
`);

const UpdateDocument = graphql(`
  mutation BucketsUpdate($input: UpdateBucketInput!) {
    updateBucket(input: $input) {
      __typename
      ... on MutationUpdateBucketSuccess { data { uuid name provider enabled priority hasSecretAccessKey status { reachable reason } } }
      ... on ValidationError { issues { path message } }
      ... on Error { message code }
    }
  }
`);

const DeleteDocument = graphql(`
  mutation BucketsDelete($input: DeleteBucketInput!) {
    deleteBucket(input: $input) {
      __typename
      ... on MutationDeleteBucketSuccess { data }
      ... on BucketInUseError { copies }
      ... on Error { message code }
    }
  }
`);

const UploadDocument = graphql(`
  mutation BucketsUpload($input: UploadFileInput!) {
    uploadFile(input: $input) {
      __typename
      ... on MutationUploadFileSuccess { data { file { uuid size instances { locations { bucket { uuid } } } } } }
      ... on Error { message code }
    }
  }
`);

const DeleteFileDocument = graphql(`
  mutation BucketsDeleteFile($input: FileRefInput!) {
    deleteFile(input: $input) { __typename }
  }
`);

const IntrospectBucketDocument = graphql(`
  query BucketsIntrospect {
    __type(name: "Bucket") { fields { name type { kind name ofType { kind name ofType { kind name } } } } }
  }
`);

type Actor = 'anonymous' | 'user' | 'admin' | 'owner';

/** What a call answered: the union member's typename, or the top-level error code. */
function outcome(result: ExecutionResult<Record<string, unknown>>, field: string): string {
  if (result.errors?.length) return String(result.errors[0]?.extensions?.code ?? result.errors[0]?.message);
  const value = result.data?.[field] as { __typename?: string } | null | undefined;
  return value?.__typename ?? (value ? 'value' : 'missing');
}

describe.each(backends)('buckets on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let s3: S3TestServer;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;

  const headers = (who: Actor) => ({ anonymous: {}, user: member.headers, admin: admin.headers, owner: owner.headers })[who];
  const snapshot = async () =>
    JSON.stringify(await db.bucket.findMany({ orderBy: { uuid: 'asc' } }), (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
  const uniqueName = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;

  async function create(input: CreateBucketInput, who: Actor = 'admin') {
    const result = await execute(app, CreateDocument, { input }, headers(who));
    const payload = result.data?.createBucket;
    if (payload?.__typename !== 'MutationCreateBucketSuccess') throw new Error(`createBucket failed: ${JSON.stringify(result)}`);
    return payload.data;
  }

  async function listed() {
    const result = await execute(app, ListDocument, {}, admin.headers);
    expect(result.errors).toBeUndefined();
    return new Map(result.data!.buckets.edges.map((e) => [e.node.uuid, e.node]));
  }

  const s3Input = (overrides: Partial<CreateBucketInput> = {}): CreateBucketInput => ({
    name: uniqueName('S3'),
    ...s3.connection(),
    pathPrefix: randomUUID(), // each bucket its own storage: two may not share it
    ...overrides,
  });

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    s3 = await startS3Server({ bucket: 'buckets-test' });
    owner = await signUp(app);
    admin = await signUp(app);
    await grantRole(db, admin.uuid, 'Admin');
    member = await signUp(app);
  });

  afterAll(async () => {
    await backend.close();
    await s3.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('only admins (Owner, Admin) manage buckets', () => {
    test.each<[Actor, string]>([
      ['anonymous', 'UNAUTHENTICATED'],
      ['user', 'FORBIDDEN'],
    ])('%s: every bucket operation is refused with %s and nothing changes', async (who, code) => {
      const target = await create({ name: uniqueName('Target'), provider: 'local', endpoint: `buckets/${randomUUID()}` });
      const before = await snapshot();
      const list = await execute(app, ListDocument, {}, headers(who));
      expect(outcome(list as ExecutionResult<Record<string, unknown>>, 'buckets')).toBe(code);
      expect(list.data?.buckets ?? null).toBeNull();
      const created = await execute(app, CreateDocument, { input: { name: uniqueName('Nope'), provider: 'local' } }, headers(who));
      expect(outcome(created, 'createBucket')).toBe(code);
      const updated = await execute(app, UpdateDocument, { input: { uuid: target.uuid, name: 'Hijacked', enabled: false } }, headers(who));
      expect(outcome(updated, 'updateBucket')).toBe(code);
      const deleted = await execute(app, DeleteDocument, { input: { uuid: target.uuid } }, headers(who));
      expect(outcome(deleted, 'deleteBucket')).toBe(code);
      expect(await snapshot()).toBe(before);
    });

    test.each<[Actor]>([['admin'], ['owner']])('%s: lists, creates, updates and deletes', async (who) => {
      const list = await execute(app, ListDocument, {}, headers(who));
      expect(list.errors).toBeUndefined();
      expect(list.data?.buckets.edges.some((e) => e.node.name === 'Local Storage')).toBe(true);

      const name = uniqueName('Managed');
      const created = await create({ name: `  ${name}  `, provider: 'local', endpoint: `buckets/${randomUUID()}`, priority: 3, maxSizeMb: 5 }, who);
      expect(created).toMatchObject({ name, provider: 'local', priority: 3, maxSizeMb: 5, enabled: true, accessType: 'public' });
      expect(await db.bucket.findUnique({ where: { uuid: created.uuid } })).toMatchObject({ name, priority: 3, maxSizeMb: 5n });

      const updated = await execute(app, UpdateDocument, { input: { uuid: created.uuid, enabled: false, priority: 0 } }, headers(who));
      expect(updated.data?.updateBucket).toMatchObject({ __typename: 'MutationUpdateBucketSuccess', data: { enabled: false, priority: 0, name } });
      expect(await db.bucket.findUnique({ where: { uuid: created.uuid } })).toMatchObject({ enabled: false, priority: 0, maxSizeMb: 5n });

      const deleted = await execute(app, DeleteDocument, { input: { uuid: created.uuid } }, headers(who));
      expect(deleted.data?.deleteBucket).toEqual({ __typename: 'MutationDeleteBucketSuccess', data: created.uuid });
      expect(await db.bucket.count({ where: { uuid: created.uuid } })).toBe(0);
    });
  });

  describe('validation errors change nothing', () => {
    test.each<[string, Partial<CreateBucketInput>, string]>([
      ['unknown provider', { provider: 'ftp' }, 'provider'],
      ['missing provider', { provider: null }, 'provider'],
      ['missing name', { name: '' }, 'name'],
      ['blank name', { name: '   ' }, 'name'],
      ['name over 255 characters', { name: 'n'.repeat(256) }, 'name'],
      ['control character in the name', { name: 'bad\u0000name' }, 'name'],
      ['an unpaired surrogate in the name (would be stored altered)', { name: 'Archive \ud800 bucket' }, 'name'],
      ['an unpaired surrogate in the secret key', { provider: 's3', bucketName: 'b', accessKeyId: 'AK', secretAccessKey: 'sk\udc00' }, 'secretAccessKey'],
      ['s3 without a bucket name', { provider: 's3', bucketName: null, accessKeyId: 'AK', secretAccessKey: 'SK' }, 'bucketName'],
      ['s3 without credentials', { provider: 's3', bucketName: 'b', accessKeyId: null, secretAccessKey: null }, 'accessKeyId'],
      ['s3 without the secret key', { provider: 's3', bucketName: 'b', accessKeyId: 'AK', secretAccessKey: null }, 'accessKeyId'],
      ['r2 without credentials', { provider: 'r2', bucketName: 'b' }, 'accessKeyId'],
      ['s3 with a non-http endpoint', { provider: 's3', bucketName: 'b', accessKeyId: 'AK', secretAccessKey: 'SK', endpoint: 'ftp://x' }, 'endpoint'],
      ['negative priority', { priority: -1 }, 'priority'],
      ['zero max size', { maxSizeMb: 0 }, 'maxSizeMb'],
      ['negative max size', { maxSizeMb: -5 }, 'maxSizeMb'],
      ['fractional max size', { maxSizeMb: 1.5 }, 'maxSizeMb'],
      ['unknown access type', { accessType: 'world' }, 'accessType'],
      ['javascript: CDN URL', { cdnUrl: 'javascript:alert(1)' }, 'cdnUrl'],
      ['a CDN URL with a bad host', { cdnUrl: 'https://%zz' }, 'cdnUrl'],
      ['a CDN URL with a port out of range', { cdnUrl: 'http://cdn:99999' }, 'cdnUrl'],
      ['s3 with an endpoint of a bad host', { provider: 's3', bucketName: 'b', accessKeyId: 'AK', secretAccessKey: 'SK', endpoint: 'http://%%%' }, 'endpoint'],
      ['s3 with an endpoint port out of range', { provider: 's3', bucketName: 'b', accessKeyId: 'AK', secretAccessKey: 'SK', endpoint: 'http://x:99999' }, 'endpoint'],
      ['secret key over 1024 characters', { provider: 's3', bucketName: 'b', accessKeyId: 'AK', secretAccessKey: 's'.repeat(1025) }, 'secretAccessKey'],
      ['a path prefix that climbs out', { pathPrefix: '../../escape' }, 'pathPrefix'],
      ['a path prefix with a dot segment inside', { pathPrefix: 'a/../../b' }, 'pathPrefix'],
    ])('createBucket: %s', async (_label, overrides, path) => {
      const before = await snapshot();
      const input = { name: uniqueName('Invalid'), provider: 'local', ...overrides } as CreateBucketInput;
      const result = await execute(app, CreateDocument, { input }, admin.headers);
      const payload = result.data?.createBucket;
      expect(payload?.__typename, JSON.stringify(result)).toBe('ValidationError');
      if (payload?.__typename === 'ValidationError') expect(payload.issues.map((i) => i.path)).toContain(path);
      expect(await snapshot()).toBe(before);
    });

    test.each<[string, Omit<UpdateBucketInput, 'uuid'>, string]>([
      ['switching a local bucket to s3 without credentials', { provider: 's3' }, 'bucketName'],
      ['negative priority', { priority: -3 }, 'priority'],
      ['empty name', { name: '' }, 'name'],
      ['an unpaired surrogate in the name', { name: 'x\udbff' }, 'name'],
      ['unknown provider', { provider: 'dropbox' }, 'provider'],
      ['zero max size', { maxSizeMb: 0 }, 'maxSizeMb'],
      ['clearing the provider', { provider: null }, 'provider'],
      ['switching a local bucket to s3 with its directory as endpoint', { provider: 's3', bucketName: 'b', accessKeyId: 'AK', secretAccessKey: 'SK' }, 'endpoint'],
    ])('updateBucket: %s', async (_label, changes, path) => {
      const target = await create({ name: uniqueName('Stable'), provider: 'local', endpoint: `buckets/${randomUUID()}` });
      const before = await snapshot();
      const result = await execute(app, UpdateDocument, { input: { uuid: target.uuid, ...changes } }, admin.headers);
      const payload = result.data?.updateBucket;
      expect(payload?.__typename, JSON.stringify(result)).toBe('ValidationError');
      if (payload?.__typename === 'ValidationError') expect(payload.issues.map((i) => i.path)).toContain(path);
      expect(await snapshot()).toBe(before);
    });

    test('updateBucket: clearing the secret of an s3 bucket is refused; an unknown uuid is NotFoundError', async () => {
      const bucket = await create(s3Input());
      const before = await snapshot();
      const cleared = await execute(app, UpdateDocument, { input: { uuid: bucket.uuid, secretAccessKey: null } }, admin.headers);
      expect(cleared.data?.updateBucket).toMatchObject({ __typename: 'ValidationError' });
      const missing = await execute(app, UpdateDocument, { input: { uuid: randomUUID(), name: 'x' } }, admin.headers);
      expect(missing.data?.updateBucket).toMatchObject({ __typename: 'NotFoundError' });
      expect(await snapshot()).toBe(before);
    });
  });

  describe('secret keys', () => {
    test('are stored encrypted (v1:…, not the plaintext) and no field of Bucket ever returns them', async () => {
      const secret = `pk-secret-${randomBytes(12).toString('hex')}`;
      const bucket = await create(s3Input({ secretAccessKey: secret, accessKeyId: 'AKIDVISIBLE' }));
      expect(bucket.hasSecretAccessKey).toBe(true);
      const row = await db.bucket.findUniqueOrThrow({ where: { uuid: bucket.uuid } });
      expect(row.secretAccessKey).toMatch(/^v1:[A-Za-z0-9_-]+$/);
      expect(row.secretAccessKey).not.toContain(secret);
      expect(Buffer.from(row.secretAccessKey!.slice(3), 'base64url').toString('latin1')).not.toContain(secret);

      // ask for every field the Bucket type has (whatever gets added later), and look for the secret anywhere
      const introspection = await execute(app, IntrospectBucketDocument, {}, admin.headers);
      const fields = introspection.data!.__type!.fields!;
      const selection = fields
        .map((f) => {
          const named = f.type.ofType?.ofType ?? f.type.ofType ?? f.type;
          return named.kind === 'OBJECT' ? `${f.name} { __typename ${f.name === 'status' ? 'reachable reason' : ''} }` : f.name;
        })
        .join(' ');
      expect(selection).toContain('accessKeyId');
      const response = await app.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...admin.headers },
        body: JSON.stringify({ query: `{ buckets(first: 100) { edges { node { ${selection} } } } }` }),
      });
      const text = await response.text();
      expect(JSON.parse(text).errors).toBeUndefined();
      expect(text).toContain('AKIDVISIBLE');
      expect(text).not.toContain(secret);
      expect(text).not.toContain(row.secretAccessKey!);
      for (const list of [ListDocument]) {
        const again = await app.fetch('http://localhost/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...admin.headers },
          body: JSON.stringify({ query: print(list) }),
        });
        expect(await again.text()).not.toContain(secret);
      }
    });

    /** The credentials the bucket's S3 client signs requests with (decrypted from the row). */
    async function signingCredentials(uuid: string) {
      const row = await db.bucket.findUniqueOrThrow({ where: { uuid } });
      const driver = app.services.buckets.driverFor(row) as unknown as {
        client: { config: { credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string }> } };
      };
      const { accessKeyId, secretAccessKey } = await driver.client.config.credentials();
      return { accessKeyId, secretAccessKey };
    }

    test('the stored secret decrypts to what the driver signs with; an update re-encrypts it, leaving it out keeps it', async () => {
      const first = `first-${randomBytes(8).toString('hex')}`;
      const bucket = await create(s3Input({ secretAccessKey: first }));
      expect(await signingCredentials(bucket.uuid)).toEqual({ accessKeyId: s3.credentials.accessKeyId, secretAccessKey: first });
      expect((await listed()).get(bucket.uuid)?.status).toEqual({ reachable: true, reason: null });
      const before = (await db.bucket.findUniqueOrThrow({ where: { uuid: bucket.uuid } })).secretAccessKey;

      const second = `second-${randomBytes(8).toString('hex')}`;
      const changed = await execute(app, UpdateDocument, { input: { uuid: bucket.uuid, secretAccessKey: second } }, admin.headers);
      expect(changed.data?.updateBucket).toMatchObject({ data: { hasSecretAccessKey: true, status: { reachable: true } } });
      const rewritten = (await db.bucket.findUniqueOrThrow({ where: { uuid: bucket.uuid } })).secretAccessKey;
      expect(rewritten).toMatch(/^v1:/);
      expect(rewritten).not.toBe(before);
      expect(rewritten).not.toContain(second);
      expect(await signingCredentials(bucket.uuid)).toMatchObject({ secretAccessKey: second });

      // an update that leaves the secret out keeps it
      await execute(app, UpdateDocument, { input: { uuid: bucket.uuid, name: uniqueName('Renamed') } }, admin.headers);
      expect((await db.bucket.findUniqueOrThrow({ where: { uuid: bucket.uuid } })).secretAccessKey).toBe(rewritten);
      expect(await signingCredentials(bucket.uuid)).toMatchObject({ secretAccessKey: second });
    });

    test('a legacy plaintext secret (stored before encryption) works, and the next update of the bucket encrypts it', async () => {
      const legacy = `legacy-${randomBytes(8).toString('hex')}`;
      const bucket = await create(s3Input({ secretAccessKey: 'to be replaced' }));
      await db.bucket.update({ where: { uuid: bucket.uuid }, data: { secretAccessKey: legacy } });
      expect(await signingCredentials(bucket.uuid)).toMatchObject({ secretAccessKey: legacy });
      await execute(app, UpdateDocument, { input: { uuid: bucket.uuid, priority: 7 } }, admin.headers);
      const stored = (await db.bucket.findUniqueOrThrow({ where: { uuid: bucket.uuid } })).secretAccessKey;
      expect(stored).toMatch(/^v1:/);
      expect(stored).not.toContain(legacy);
      expect(await signingCredentials(bucket.uuid)).toMatchObject({ secretAccessKey: legacy });
    });

    test('a bucket whose stored secret no longer opens (another SECRET_KEY_BASE) can still be changed and disabled', async () => {
      const bucket = await create(s3Input({ secretAccessKey: 'rotated away' }));
      const foreign = encryptSecret('rotated away', randomBytes(32));
      await db.bucket.update({ where: { uuid: bucket.uuid }, data: { secretAccessKey: foreign } });
      const disabled = await execute(app, UpdateDocument, { input: { uuid: bucket.uuid, enabled: false, name: uniqueName('Rotated') } }, admin.headers);
      expect(disabled.errors).toBeUndefined();
      expect(disabled.data?.updateBucket.__typename).toBe('MutationUpdateBucketSuccess');
      expect((await db.bucket.findUniqueOrThrow({ where: { uuid: bucket.uuid } })).secretAccessKey).toBe(foreign);
    });

    test('the same plaintext encrypts differently each time (random IV)', async () => {
      const a = await create(s3Input({ secretAccessKey: 'same-secret' }));
      const b = await create(s3Input({ secretAccessKey: 'same-secret' }));
      const [ra, rb] = await Promise.all([a, b].map((x) => db.bucket.findUniqueOrThrow({ where: { uuid: x.uuid } })));
      expect(ra!.secretAccessKey).not.toBe(rb!.secretAccessKey);
    });
  });

  test('an unreachable bucket is reported with a reason without failing the query', async () => {
    const down = await create(s3Input({ name: uniqueName('Down'), endpoint: 'http://127.0.0.1:9' }));
    // takes connections, never answers
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const mute = await create(s3Input({ name: uniqueName('Mute'), endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` }));
    const fileAsRoot = join(dataDir, `not-a-dir-${randomUUID()}`);
    await writeFile(fileAsRoot, 'a file, not a directory');
    const broken = await create({ name: uniqueName('Broken local'), provider: 'local', endpoint: fileAsRoot });
    const up = await create(s3Input({ name: uniqueName('Up') }));
    const buckets = await listed(); // without a bound, the silent one would hold the query for minutes (3 × 60 s)
    silent.closeAllConnections();
    silent.close();
    for (const uuid of [down.uuid, broken.uuid, mute.uuid]) {
      const status = buckets.get(uuid)?.status;
      expect(status?.reachable).toBe(false);
      expect(status?.reason).toMatch(/\S/);
      expect(status?.reason).not.toContain(s3.credentials.secretAccessKey);
    }
    expect(buckets.get(mute.uuid)?.status?.reason).toBe(`no answer within ${HEALTH_CHECK_MS / 1000} s`);
    expect(buckets.get(up.uuid)?.status).toEqual({ reachable: true, reason: null });
    expect([...buckets.values()].find((b) => b.name === 'Local Storage')?.status).toEqual({ reachable: true, reason: null });
  });

  describe('usage and deletion', () => {
    let quota: Awaited<ReturnType<typeof create>>;

    beforeAll(async () => {
      // the only enabled bucket while these tests run, so uploads land in it
      for (const b of await db.bucket.findMany({ where: { enabled: true } })) await app.services.buckets.update(b.uuid, { enabled: false });
      quota = await create({ name: uniqueName('Quota'), provider: 'local', endpoint: `buckets/${randomUUID()}`, maxSizeMb: 10 });
    });

    async function upload(user: TestUser, data: Buffer) {
      const result = await uploadVia(app, UploadDocument, { name: 'usage.bin', data }, { headers: user.headers });
      const payload = result.data?.uploadFile;
      if (payload?.__typename !== 'MutationUploadFileSuccess') throw new Error(JSON.stringify(result));
      expect(payload.data.file.instances[0]?.locations.map((l) => l.bucket.uuid)).toEqual([quota.uuid]);
      return payload.data.file;
    }

    test('usedBytes counts each stored object once; freeBytes is the rest of max_size_mb (null without a limit)', async () => {
      const shared = randomBytes(100_000);
      await upload(owner, shared);
      await upload(member, shared); // same bytes, another user: no second object
      await upload(member, randomBytes(30_000));
      const buckets = await listed();
      expect(buckets.get(quota.uuid)).toMatchObject({ usedBytes: 130_000, freeBytes: 10 * MiB - 130_000, maxSizeMb: 10 });
      const local = [...buckets.values()].find((b) => b.name === 'Local Storage');
      expect(local).toMatchObject({ usedBytes: 0, freeBytes: null });
    });

    test('the largest max_size_mb validation accepts still takes uploads', async () => {
      await app.services.buckets.update(quota.uuid, { maxSizeMb: Number.MAX_SAFE_INTEGER });
      try {
        await upload(owner, randomBytes(2_000)); // asserts it landed in the bucket
      } finally {
        await app.services.buckets.update(quota.uuid, { maxSizeMb: 10 });
      }
    });

    test('a bucket holding copies cannot be deleted (BucketInUseError); emptied, it can', async () => {
      const file = await upload(owner, randomBytes(5_000));
      const before = await snapshot();
      const refused = await execute(app, DeleteDocument, { input: { uuid: quota.uuid } }, admin.headers);
      expect(refused.data?.deleteBucket).toMatchObject({ __typename: 'BucketInUseError', code: 'BUCKET_IN_USE' });
      if (refused.data?.deleteBucket.__typename === 'BucketInUseError') {
        expect(refused.data.deleteBucket.copies).toBe(await db.fileLocation.count({ where: { bucketUuid: quota.uuid } }));
      }
      expect(await snapshot()).toBe(before);
      expect(await db.fileLocation.count({ where: { bucketUuid: quota.uuid } })).toBeGreaterThan(0);

      // a disabled bucket still holding copies is still refused
      await app.services.buckets.update(quota.uuid, { enabled: false });
      expect((await execute(app, DeleteDocument, { input: { uuid: quota.uuid } }, admin.headers)).data?.deleteBucket.__typename).toBe(
        'BucketInUseError',
      );

      for (const f of await db.file.findMany({ where: { instances: { some: { locations: { some: { bucketUuid: quota.uuid } } } } } })) {
        const r = await execute(app, DeleteFileDocument, { input: { uuid: f.uuid } }, owner.headers);
        expect(r.data?.deleteFile.__typename).toBe('MutationDeleteFileSuccess');
      }
      expect(file.uuid).toBeTruthy();
      const deleted = await execute(app, DeleteDocument, { input: { uuid: quota.uuid } }, admin.headers);
      expect(deleted.data?.deleteBucket).toEqual({ __typename: 'MutationDeleteBucketSuccess', data: quota.uuid });
      expect((await execute(app, DeleteDocument, { input: { uuid: quota.uuid } }, admin.headers)).data?.deleteBucket).toMatchObject({
        __typename: 'NotFoundError',
      });
    });
  });
});
