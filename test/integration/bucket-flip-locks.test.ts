import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, untilSomeoneWaitsForALock, type Backend } from '../helpers/backends.js';
import { gql } from '../helpers/content.js';
import { execute } from '../helpers/execute.js';
import { tempDataDir, uploadVia } from '../helpers/upload.js';

// Switching a bucket off or on moves the readable-copy counts of the files with copies there (V36), so it locks their
// instances; a transaction holding one of them may be waiting for the bucket itself (a file's deletion does: its
// cascade locks the instances, then its locations' trigger the bucket). The switch gives way and comes back instead
// of deadlocking. PostgreSQL only (PGlite runs one transaction at a time).

const UPLOAD = gql(`mutation($input: UploadFileInput!) { uploadFile(input: $input) {
  __typename ... on MutationUploadFileSuccess { data { file { uuid } } } ... on Error { code message } } }`);
const UPDATE_BUCKET = gql(`mutation($input: UpdateBucketInput!) { updateBucket(input: $input) {
  __typename ... on MutationUpdateBucketSuccess { data { uuid enabled } } ... on Error { code message } } }`);

describe.each(backends.filter(([name]) => name === 'postgres'))('a bucket switched while its copies are busy, on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let user: TestUser;
  let owner: TestUser;
  let dataDir: string;
  let second: string;

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    owner = await signUp(app);
    user = await signUp(app);
    second = (await app.services.buckets.create({ name: 'Second', provider: 'local', endpoint: 'buckets/second' })).uuid;
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
  });
  afterAll(async () => {
    await backend.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('a transaction holding an instance and then waiting for the bucket: both finish, the count is exact', async () => {
    const uploaded = await uploadVia(app, UPLOAD, { name: 'busy.bin', data: randomBytes(4_000) }, { headers: user.headers });
    const fileUuid = uploaded.data.uploadFile.data.file.uuid as string;
    const instance = await db.fileInstance.findFirstOrThrow({ where: { fileUuid, variantName: 'original' } });
    expect(instance.activeCopies).toBe(2);

    const holder = new pg.Client({ connectionString: backend.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM phoenix_kit_file_instances WHERE uuid = $1 FOR UPDATE', [instance.uuid]);
      const flip = app.services.buckets.update(second, { enabled: false });
      await new Promise((resolve) => setTimeout(resolve, 200)); // the switch has met the held instance
      // now the holder waits for the bucket, as a deletion's location trigger does
      await holder.query('SELECT 1 FROM phoenix_kit_buckets WHERE uuid = $1 FOR SHARE', [second]);
      await holder.query('COMMIT');
      expect((await flip).enabled).toBe(false);
    } finally {
      await holder.end();
    }
    expect((await db.fileInstance.findUniqueOrThrow({ where: { uuid: instance.uuid } })).activeCopies).toBe(1);
    await app.services.buckets.update(second, { enabled: true });
    expect((await db.fileInstance.findUniqueOrThrow({ where: { uuid: instance.uuid } })).activeCopies).toBe(2);
  });

  test('a switch that keeps meeting a held file for about 10 s is refused with BucketBusyError; nothing changes', async () => {
    const uploaded = await uploadVia(app, UPLOAD, { name: 'held.bin', data: randomBytes(3_000) }, { headers: user.headers });
    const fileUuid = uploaded.data.uploadFile.data.file.uuid as string;
    const instance = await db.fileInstance.findFirstOrThrow({ where: { fileUuid, variantName: 'original' } });
    const holder = new pg.Client({ connectionString: backend.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM phoenix_kit_file_instances WHERE uuid = $1 FOR UPDATE', [instance.uuid]);
      const answer = await execute(app, UPDATE_BUCKET, { input: { uuid: second, enabled: false } }, owner.headers);
      expect(answer.data.updateBucket).toMatchObject({ __typename: 'BucketBusyError', code: 'BUCKET_BUSY' });
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    expect((await db.bucket.findUniqueOrThrow({ where: { uuid: second } })).enabled).toBe(true);
    expect((await db.fileInstance.findUniqueOrThrow({ where: { uuid: instance.uuid } })).activeCopies).toBe(2);
  });

  test('a copy failing while its bucket is being switched off is counted once the switch is in', async () => {
    const uploaded = await uploadVia(app, UPLOAD, { name: 'failing.bin', data: randomBytes(5_000) }, { headers: user.headers });
    const fileUuid = uploaded.data.uploadFile.data.file.uuid as string;
    const instance = await db.fileInstance.findFirstOrThrow({ where: { fileUuid, variantName: 'original' } });
    const copy = await db.fileLocation.findFirstOrThrow({ where: { fileInstanceUuid: instance.uuid, bucketUuid: second } });
    expect(instance.activeCopies).toBe(2);
    // the switch has run (its trigger moved the counts) and not committed yet when the copy is marked failed
    const switcher = new pg.Client({ connectionString: backend.database.url });
    await switcher.connect();
    try {
      await switcher.query('BEGIN');
      await switcher.query('UPDATE phoenix_kit_buckets SET enabled = false WHERE uuid = $1', [second]);
      const failing = db.fileLocation.update({ where: { uuid: copy.uuid }, data: { status: 'failed' } }).then(() => null); // started now
      await untilSomeoneWaitsForALock(backend);
      await switcher.query('COMMIT');
      await failing;
    } finally {
      await switcher.end();
    }
    // one readable copy is left (the other bucket's): the failed copy was already out with its bucket
    expect((await db.fileInstance.findUniqueOrThrow({ where: { uuid: instance.uuid } })).activeCopies).toBe(1);
    await app.services.buckets.update(second, { enabled: true });
    expect((await db.fileInstance.findUniqueOrThrow({ where: { uuid: instance.uuid } })).activeCopies).toBe(1);
  });

  test('files deleted while their bucket is switched off and on: every deletion and every switch succeeds', async () => {
    const files = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const r = await uploadVia(app, UPLOAD, { name: `gone-${i}.bin`, data: randomBytes(1_000 + i) }, { headers: user.headers });
        return r.data.uploadFile.data.file.uuid as string;
      }),
    );
    const flips = (async () => {
      for (let i = 0; i < 10; i++) await app.services.buckets.update(second, { enabled: i % 2 === 1 });
    })();
    const outcomes = await Promise.allSettled([flips, ...files.map((uuid) => app.services.files.remove(null, uuid))]);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(await db.file.count({ where: { uuid: { in: files } } })).toBe(0);
  });
});
