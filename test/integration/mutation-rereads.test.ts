import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { createTestApp, grantRole, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { gql } from '../helpers/content.js';
import { execute } from '../helpers/execute.js';
import { tempDataDir, uploadVia } from '../helpers/upload.js';

// A mutation commits, then reads its row again for the answer. A simultaneous delete landing in between is the
// caller's NotFoundError (typed where the mutation lists errors, code NOT_FOUND in a payload's field), never a fault.
// The app here lets a test run that delete exactly there.

const REMOVE_ROLE = gql(`mutation($input: RemoveRoleInput!) { removeRole(input: $input) { __typename ... on Error { code message } } }`);
const CREATE_BUCKET = gql(`mutation($input: CreateBucketInput!) { createBucket(input: $input) {
  __typename ... on MutationCreateBucketSuccess { data { uuid } } ... on Error { code message } } }`);
const UPLOAD = gql(`mutation($input: UploadFileInput!) { uploadFile(input: $input) {
  __typename ... on MutationUploadFileSuccess { data { duplicate file { uuid } } } ... on Error { code message } } }`);
const DELETE_FILE = gql(`mutation($input: FileRefInput!) { deleteFile(input: $input) { __typename ... on Error { code message } } }`);

describe.each(backends)('a row deleted between a mutation and its answer, on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let admin: TestUser;
  let dataDir: string;
  /** Runs once, before the next unique read of `model` by the GraphQL layer. */
  let pending: { model: string; run: () => Promise<unknown> } | null = null;

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, {
      env: { DATA_DIR: dataDir },
      beforeUniqueRead: async (model) => {
        if (pending?.model !== model) return;
        const { run } = pending;
        pending = null;
        await run();
      },
    });
    await signUp(app);
    admin = await signUp(app);
    await grantRole(db, admin.uuid, 'Admin');
  });
  afterAll(async () => {
    await backend.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('removeRole whose role was deleted meanwhile answers NotFoundError', async () => {
    const role = await db.role.create({ data: { name: `Gone-${randomUUID().slice(0, 8)}` } });
    const user = await signUp(app);
    await grantRole(db, user.uuid, role.name);
    pending = { model: 'RoleAssignment', run: () => db.role.delete({ where: { uuid: role.uuid } }) };
    const result = await execute(app, REMOVE_ROLE, { input: { userUuid: user.uuid, roleUuid: role.uuid } }, admin.headers);
    expect(pending).toBeNull(); // the delete ran
    expect(result.errors).toBeUndefined();
    expect(result.data.removeRole).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND', message: 'Role assignment not found' });
  });

  test('createBucket whose bucket was deleted meanwhile answers NotFoundError', async () => {
    const name = `gone-${randomUUID().slice(0, 8)}`;
    pending = { model: 'Bucket', run: () => db.bucket.deleteMany({ where: { name } }) };
    const endpoint = join(dataDir, name);
    const result = await execute(app, CREATE_BUCKET, { input: { name, provider: 'local', endpoint, enabled: false } }, admin.headers);
    expect(pending).toBeNull();
    expect(result.errors).toBeUndefined();
    expect(result.data.createBucket).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect(await db.bucket.count({ where: { name } })).toBe(0);
  });

  test("an upload whose file was deleted before the answer was read answers NOT_FOUND on the payload's file", async () => {
    const data = randomBytes(2000);
    const first = await uploadVia(app, UPLOAD, { name: 'a.bin', data }, { headers: admin.headers });
    const uuid = first.data.uploadFile.data.file.uuid as string;
    // the same bytes again are a duplicate naming that file; the owner deletes it before the answer reads it
    pending = { model: 'File', run: () => execute(app, DELETE_FILE, { input: { uuid } }, admin.headers) };
    const again = await uploadVia(app, UPLOAD, { name: 'a.bin', data }, { headers: admin.headers });
    expect(pending).toBeNull();
    expect(await db.file.count({ where: { uuid } })).toBe(0);
    expect(again.errors?.map((e) => [e.message, e.extensions?.code, e.path])).toEqual([
      ['File not found', 'NOT_FOUND', ['uploadFile', 'data', 'file']],
    ]);
  });
});
