import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutionResult } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { NotFoundError } from '../../src/graphql/errors.js';
import { createLogger } from '../../src/logger.js';
import { createVariantStore } from '../../src/modules/media/variant-store.js';
import type { FilesLifecycleUploadMutation } from '../gql/graphql.js';
import { graphql } from '../gql/index.js';
import { createTestApp, grantRole, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, untilSomeoneWaitsForALock, type Backend } from '../helpers/backends.js';
import { gql } from '../helpers/content.js';
import { execute } from '../helpers/execute.js';
import { listTree, pathOf, PNG_1X1, tempDataDir, uploadVia } from '../helpers/upload.js';

const UploadDocument = graphql(`
  mutation FilesLifecycleUpload($input: UploadFileInput!) {
    uploadFile(input: $input) {
      __typename
      ... on MutationUploadFileSuccess {
        data { duplicate file { uuid url status fileChecksum originalFileName instances { locations { path bucket { uuid } } } } }
      }
      ... on Error { message code }
    }
  }
`);

const FilesDocument = graphql(`
  query FilesLifecycleList($userUuid: UUID, $fileType: String, $status: String, $search: String, $first: Int, $after: String) {
    files(userUuid: $userUuid, fileType: $fileType, status: $status, search: $search, first: $first, after: $after) {
      edges { node { uuid originalFileName fileType status user { uuid } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const MyFilesDocument = graphql(`
  query FilesLifecycleMine($after: String) {
    me { files(first: 2, after: $after) { edges { node { uuid } } } }
  }
`);

const MY_FILES = gql(`{ me { files(first: 100) { edges { node { uuid } } } } }`);

const FileDocument = graphql(`
  query FilesLifecycleFile($uuid: UUID!) {
    file(uuid: $uuid) { uuid status trashedAt originalFileName user { uuid } }
  }
`);

const TrashDocument = graphql(`
  mutation FilesLifecycleTrash($input: FileRefInput!) {
    trashFile(input: $input) {
      __typename
      ... on MutationTrashFileSuccess { data { uuid status trashedAt } }
      ... on Error { message code }
    }
  }
`);

const RestoreDocument = graphql(`
  mutation FilesLifecycleRestore($input: FileRefInput!) {
    restoreFile(input: $input) {
      __typename
      ... on MutationRestoreFileSuccess { data { uuid status trashedAt } }
      ... on Error { message code }
    }
  }
`);

const DeleteDocument = graphql(`
  mutation FilesLifecycleDelete($input: FileRefInput!) {
    deleteFile(input: $input) {
      __typename
      ... on MutationDeleteFileSuccess { data }
      ... on FileInUseError { references }
      ... on Error { message code }
    }
  }
`);

type Uploaded = Extract<
  NonNullable<ExecutionResult<FilesLifecycleUploadMutation>['data']>['uploadFile'],
  { __typename: 'MutationUploadFileSuccess' }
>['data']['file'];

describe.each(backends)('file lifecycle and ownership on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let bucketRoot: string;
  let owner: TestUser;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;

  const objects = () => listTree(bucketRoot);
  const serve = (url: string) => app.fetch(`http://localhost${pathOf(url)}`);

  async function upload(user: TestUser, name: string, data: Uint8Array = randomBytes(3000), type = 'application/octet-stream') {
    const result = await uploadVia(app, UploadDocument, { name, type, data }, { headers: user.headers });
    const payload = result.data?.uploadFile;
    if (payload?.__typename !== 'MutationUploadFileSuccess') throw new Error(`upload failed: ${JSON.stringify(result)}`);
    return payload.data.file as Uploaded;
  }

  async function list(user: TestUser, args: { userUuid?: string; fileType?: string; status?: string; search?: string } = {}) {
    const result = await execute(app, FilesDocument, { first: 100, ...args }, user.headers);
    expect(result.errors).toBeUndefined();
    return result.data!.files.edges.map((e) => e.node);
  }

  /** The uuids `me { files }` lists for the user. */
  async function mine(user: TestUser): Promise<string[]> {
    const result = await execute(app, MY_FILES, {}, user.headers);
    expect(result.errors).toBeUndefined();
    return result.data.me.files.edges.map((e: { node: { uuid: string } }) => e.node.uuid);
  }

  const remove = (user: TestUser, uuid: string) => execute(app, DeleteDocument, { input: { uuid } }, user.headers);
  const blob = (f: Uploaded) => f.instances[0]!.locations[0]!.path;

  /** Every object in the bucket has a location row and every location row its object; no row without its parent. */
  async function assertConsistent() {
    const [all, locations, instances, files] = await Promise.all([
      objects(),
      db.fileLocation.findMany({ select: { path: true, status: true } }),
      db.fileInstance.findMany({ select: { uuid: true, fileUuid: true, locations: { select: { uuid: true } } } }),
      db.file.findMany({ select: { uuid: true, instances: { select: { uuid: true } } } }),
    ]);
    const referenced = new Set(locations.map((l) => l.path));
    expect(all.filter((p) => !referenced.has(p)), 'orphan bytes').toEqual([]);
    const present = new Set(all);
    expect(locations.filter((l) => l.status === 'active' && !present.has(l.path)), 'location rows without bytes').toEqual([]);
    expect(instances.filter((i) => i.locations.length === 0), 'instances without a copy').toEqual([]);
    expect(files.filter((f) => f.instances.length === 0), 'files without an instance').toEqual([]);
  }

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    bucketRoot = join(dataDir, 'priv/media');
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    owner = await signUp(app);
    admin = await signUp(app);
    await grantRole(db, admin.uuid, 'Admin');
    alice = await signUp(app);
    bob = await signUp(app);
  });

  afterEach(async () => {
    await assertConsistent();
  });

  afterAll(async () => {
    await backend.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('listing', () => {
    let aliceFiles: Uploaded[];
    let carolFile: Uploaded;
    let carol: TestUser;

    beforeAll(async () => {
      carol = await signUp(app);
      aliceFiles = [];
      aliceFiles.push(await upload(alice, 'Quarterly Report.txt', Buffer.from(`report ${randomUUID()}`)));
      aliceFiles.push(await upload(alice, 'holiday PHOTO.png', PNG_1X1, 'image/png'));
      aliceFiles.push(await upload(alice, 'notes.bin', randomBytes(100)));
      carolFile = await upload(carol, 'carol.bin', randomBytes(100));
    });

    test("a user lists only their own files, newest first", async () => {
      const carolList = await list(carol);
      expect(carolList.map((f) => f.uuid)).toEqual([carolFile.uuid]);
      const mine = await list(alice);
      expect(mine.every((f) => f.user?.uuid === alice.uuid)).toBe(true);
      const ids = aliceFiles.map((f) => f.uuid);
      expect(mine.map((f) => f.uuid).filter((u) => ids.includes(u))).toEqual([...ids].reverse());
      expect(mine.map((f) => f.uuid)).not.toContain(carolFile.uuid);
    });

    test("a user's userUuid filter cannot reach another user's files: refused (not answered with their own); their own uuid is fine", async () => {
      const attempt = await execute(app, FilesDocument, { first: 100, userUuid: alice.uuid }, carol.headers);
      expect(attempt.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(attempt.data?.files ?? null).toBeNull();
      expect((await list(carol, { userUuid: carol.uuid })).map((f) => f.uuid)).toEqual([carolFile.uuid]);
    });

    test.each<['admin' | 'owner']>([['admin'], ['owner']])('an %s sees every user\'s files and may filter by user', async (who) => {
      const viewer = who === 'admin' ? admin : owner;
      const all = (await list(viewer)).map((f) => f.uuid);
      expect(all).toEqual(expect.arrayContaining([...aliceFiles.map((f) => f.uuid), carolFile.uuid]));
      const carolOnly = await list(viewer, { userUuid: carol.uuid });
      expect(carolOnly.map((f) => f.uuid)).toEqual([carolFile.uuid]);
      const aliceOnly = await list(viewer, { userUuid: alice.uuid });
      expect(aliceOnly.every((f) => f.user?.uuid === alice.uuid)).toBe(true);
    });

    test('filters by fileType, status and a case-insensitive name search', async () => {
      const images = await list(alice, { fileType: 'image' });
      expect(images.map((f) => f.uuid)).toContain(aliceFiles[1]!.uuid);
      expect(images.every((f) => f.fileType === 'image')).toBe(true);
      expect((await list(alice, { search: 'photo' })).map((f) => f.uuid)).toEqual([aliceFiles[1]!.uuid]);
      expect((await list(alice, { search: 'QUARTERLY' })).map((f) => f.uuid)).toEqual([aliceFiles[0]!.uuid]);
      expect(await list(carol, { search: 'photo' })).toEqual([]);

      const trashed = await upload(alice, 'to be trashed.bin');
      await execute(app, TrashDocument, { input: { uuid: trashed.uuid } }, alice.headers);
      expect((await list(alice)).map((f) => f.uuid)).not.toContain(trashed.uuid);
      const trash = await list(alice, { status: 'trashed' });
      expect(trash.map((f) => f.uuid)).toContain(trashed.uuid);
      expect(trash.every((f) => f.status === 'trashed')).toBe(true);
      expect((await list(alice, { status: 'active' })).map((f) => f.uuid)).not.toContain(trashed.uuid);
      expect((await remove(alice, trashed.uuid)).data?.deleteFile.__typename).toBe('MutationDeleteFileSuccess');
    });

    test('an unknown fileType or status is BAD_USER_INPUT naming the allowed values', async () => {
      const cases: [{ fileType?: string; status?: string }, string][] = [
        [{ fileType: 'imagez' }, 'fileType must be one of: image, video, audio, document, archive, other'],
        [{ status: 'deleted' }, 'status must be one of: processing, active, failed, trashed'],
        [{ status: '' }, 'status must be one of: processing, active, failed, trashed'],
      ];
      for (const [args, message] of cases) {
        const result = await execute(app, FilesDocument, { first: 10, ...args }, alice.headers);
        expect(result.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([[message, 'BAD_USER_INPUT']]);
      }
    });

    test('the name search is a substring ILIKE that the trigram index (V34) serves', async () => {
      const before = backend.queries.length;
      expect((await list(alice, { search: 'quarterly' })).map((f) => f.uuid)).toEqual([aliceFiles[0]!.uuid]);
      const search = backend.queries.slice(before).filter((q) => q.includes('"original_file_name" ILIKE'));
      expect(search, 'the statement the listing sent').toHaveLength(1);
      expect(search[0]).toContain(`"original_file_name" ILIKE ('%' || $`);
      // with sequential and plain index scans priced out, only an index that can answer the ILIKE avoids a seq scan
      const plan = await backend.database.sql.transaction(async (tx) => {
        await tx.query('SET LOCAL enable_seqscan = off');
        await tx.query('SET LOCAL enable_indexscan = off');
        const rows = await tx.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN SELECT uuid FROM phoenix_kit_files WHERE original_file_name ILIKE ('%' || $1 || '%')`,
          ['quarterly'],
        );
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).toContain('phoenix_kit_files_original_file_name_trgm_index');
    });

    test('the search matches % and _ literally (they are not LIKE wildcards)', async () => {
      const percent = await upload(alice, '100% done.txt', Buffer.from(`percent ${randomUUID()}`));
      const underscore = await upload(alice, 'my_file.txt', Buffer.from(`underscore ${randomUUID()}`));
      const dash = await upload(alice, 'my-file.txt', Buffer.from(`dash ${randomUUID()}`));
      try {
        expect((await list(alice, { search: '%' })).map((f) => f.uuid)).toEqual([percent.uuid]);
        expect((await list(alice, { search: 'my_file' })).map((f) => f.uuid)).toEqual([underscore.uuid]);
        expect((await list(alice, { search: 'my-file' })).map((f) => f.uuid)).toEqual([dash.uuid]);
      } finally {
        for (const f of [percent, underscore, dash]) await remove(alice, f.uuid);
      }
    });

    test('pages through with cursors, newest first, without repeats', async () => {
      const all = (await list(alice)).map((f) => f.uuid);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await execute(app, FilesDocument, { first: 2, after }, alice.headers);
        seen.push(...page.data!.files.edges.map((e) => e.node.uuid));
        if (!page.data!.files.pageInfo.hasNextPage) break;
        after = page.data!.files.pageInfo.endCursor ?? undefined;
      }
      expect(seen).toEqual(all);
    });

    test('a cursor the server never issued is BAD_USER_INPUT "Invalid cursor", on the list and on a nested list', async () => {
      // well-formed ones reach Prisma; the rest the Prisma plugin cannot even decode
      const forged = [...['GPC:S:not-a-uuid', 'GPC:N:1', 'GPC:S:', 'GPC:Q:1'].map((raw) => Buffer.from(raw).toString('base64')), 'x', 'not a cursor'];
      for (const after of forged) {
        const listed = await execute(app, FilesDocument, { first: 2, after }, alice.headers);
        const nested = await execute(app, MyFilesDocument, { after }, alice.headers);
        for (const result of [listed, nested]) {
          expect(result.errors?.map((e) => [e.message, e.extensions?.code]), after).toEqual([['Invalid cursor', 'BAD_USER_INPUT']]);
        }
      }
    });

    test('a negative first or last is BAD_USER_INPUT', async () => {
      for (const first of [-1, -100]) {
        const listed = await execute(app, FilesDocument, { first }, alice.headers);
        expect(listed.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      }
    });

    test('anonymous viewers get UNAUTHENTICATED for files and file', async () => {
      const anonymous = await execute(app, FilesDocument, { first: 10 });
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const one = await execute(app, FileDocument, { uuid: aliceFiles[0]!.uuid });
      expect(one.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  describe("other users' files are invisible", () => {
    test('file is null, trash / restore / delete are NotFoundError, and nothing changes', async () => {
      const data = randomBytes(4000);
      const f = await upload(alice, 'private.bin', data);
      expect((await execute(app, FileDocument, { uuid: f.uuid }, bob.headers)).data?.file).toBeNull();
      const trash = await execute(app, TrashDocument, { input: { uuid: f.uuid } }, bob.headers);
      expect(trash.data?.trashFile).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
      const restore = await execute(app, RestoreDocument, { input: { uuid: f.uuid } }, bob.headers);
      expect(restore.data?.restoreFile).toMatchObject({ __typename: 'NotFoundError' });
      const del = await remove(bob, f.uuid);
      expect(del.data?.deleteFile).toMatchObject({ __typename: 'NotFoundError' });
      // the same answers as for a uuid that does not exist at all
      const ghost = randomUUID();
      expect((await execute(app, TrashDocument, { input: { uuid: ghost } }, bob.headers)).data?.trashFile).toEqual(trash.data?.trashFile);
      expect((await remove(bob, ghost)).data?.deleteFile).toEqual(del.data?.deleteFile);

      const still = await execute(app, FileDocument, { uuid: f.uuid }, alice.headers);
      expect(still.data?.file).toMatchObject({ uuid: f.uuid, status: 'active', trashedAt: null });
      const served = await serve(f.url);
      expect(Buffer.from(await served.arrayBuffer()).equals(data)).toBe(true);
      expect(existsSync(join(bucketRoot, blob(f)))).toBe(true);
    });

    test('admins see, trash and restore any file', async () => {
      const f = await upload(alice, 'moderated.bin');
      expect((await execute(app, FileDocument, { uuid: f.uuid }, admin.headers)).data?.file).toMatchObject({
        uuid: f.uuid,
        user: { uuid: alice.uuid },
      });
      expect((await execute(app, TrashDocument, { input: { uuid: f.uuid } }, admin.headers)).data?.trashFile).toMatchObject({
        data: { status: 'trashed' },
      });
      expect((await execute(app, RestoreDocument, { input: { uuid: f.uuid } }, admin.headers)).data?.restoreFile).toMatchObject({
        data: { status: 'active' },
      });
    });
  });

  test('trash then restore: status, trashedAt, listing and serving follow', async () => {
    const f = await upload(alice, 'roundtrip.bin');
    const before = Date.now();
    const trashed = await execute(app, TrashDocument, { input: { uuid: f.uuid } }, alice.headers);
    expect(trashed.data?.trashFile.__typename).toBe('MutationTrashFileSuccess');
    if (trashed.data?.trashFile.__typename !== 'MutationTrashFileSuccess') return;
    expect(trashed.data.trashFile.data.status).toBe('trashed');
    expect(new Date(trashed.data.trashFile.data.trashedAt!).getTime()).toBeGreaterThanOrEqual(before - 2000);
    expect((await serve(f.url)).status).toBe(404);
    expect(existsSync(join(bucketRoot, blob(f)))).toBe(true); // trash keeps the bytes
    // out of the lists, `files` and a user's `files` alike
    expect((await list(alice)).map((x) => x.uuid)).not.toContain(f.uuid);
    expect(await mine(alice)).not.toContain(f.uuid);

    const restored = await execute(app, RestoreDocument, { input: { uuid: f.uuid } }, alice.headers);
    expect(restored.data?.restoreFile).toMatchObject({ data: { status: 'active', trashedAt: null } });
    expect((await list(alice)).map((x) => x.uuid)).toContain(f.uuid);
    expect(await mine(alice)).toContain(f.uuid);
    expect((await serve(f.url)).status).toBe(200);
  });

  test('a variant stored while its file is being deleted: stored before (the deletion takes its bytes) or not at all', async () => {
    const f = await upload(alice, 'variant race.bin', randomBytes(4000));
    const variants = createVariantStore({ db, log: createLogger('silent'), buckets: app.services.buckets, files: app.services.files });
    const targets = [{ bucket: await db.bucket.findFirstOrThrow({ where: { name: 'Local Storage' } }), priority: 0 }];
    const rendered = async (data: Buffer) => {
      const path = join(dataDir, `rendered-${randomUUID()}.bin`);
      await writeFile(path, data);
      const sha = createHash('sha256').update(data).digest('hex');
      return { path, sha256: sha, size: data.length, width: null, height: null, mimeType: 'application/octet-stream', ext: 'bin' };
    };
    // the variant exists; it is rendered again (other bytes, a new key) while the file is being deleted
    await variants.store(f.uuid, 'small', targets, await rendered(randomBytes(1500)));
    const copies = await db.fileLocation.findMany({ where: { fileInstance: { fileUuid: f.uuid } }, select: { bucketUuid: true, path: true } });
    let again: Promise<unknown> = Promise.resolve();
    await db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM phoenix_kit_files WHERE uuid = ${f.uuid}::uuid FOR UPDATE`; // as deleteFile does
      again = variants.store(f.uuid, 'small', targets, await rendered(randomBytes(1600))).catch((error: unknown) => error);
      await untilSomeoneWaitsForALock(backend);
      await tx.file.delete({ where: { uuid: f.uuid } });
    });
    expect(await again).toBeInstanceOf(NotFoundError);
    await app.services.files.releaseObjects(copies); // the deletion's bytes go after it, as deleteFile's do
    // afterEach: no bytes are left that no row points at (the new rendering's included)
  });

  test('trashing a trashed file again keeps its first trashedAt (the retention clock does not restart)', async () => {
    const f = await upload(alice, 'trashed twice.bin');
    await execute(app, TrashDocument, { input: { uuid: f.uuid } }, alice.headers);
    const first = new Date('2026-01-02T03:04:05.000Z');
    await db.file.update({ where: { uuid: f.uuid }, data: { trashedAt: first } });
    const again = await execute(app, TrashDocument, { input: { uuid: f.uuid } }, alice.headers);
    expect(again.data?.trashFile).toMatchObject({ data: { status: 'trashed', trashedAt: first.toISOString() } });
    await remove(alice, f.uuid);
  });

  test.each([
    ['trashFile', false],
    ['restoreFile', true],
  ] as const)('%s arriving while the file is being deleted: NotFoundError, nothing else', async (field, trashFirst) => {
    const f = await upload(alice, `${field} vs delete.bin`, randomBytes(2500));
    if (trashFirst) await execute(app, TrashDocument, { input: { uuid: f.uuid } }, alice.headers);
    let pending: Promise<ExecutionResult<unknown>> = Promise.resolve({});
    const copies = await db.fileLocation.findMany({ where: { path: blob(f) }, select: { bucketUuid: true, path: true } });
    // the deletion holds the file row, as deleteFile does, while the trash or restore reads it and waits to write
    await db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM phoenix_kit_files WHERE uuid = ${f.uuid}::uuid FOR UPDATE`;
      pending =
        field === 'trashFile'
          ? execute(app, TrashDocument, { input: { uuid: f.uuid } }, alice.headers)
          : execute(app, RestoreDocument, { input: { uuid: f.uuid } }, alice.headers);
      await untilSomeoneWaitsForALock(backend);
      await tx.file.delete({ where: { uuid: f.uuid } });
    });
    await app.services.files.releaseObjects(copies); // the bytes go after the deletion, as deleteFile's do
    const result = await pending;
    expect(result.errors).toBeUndefined();
    expect(Object.values(result.data as Record<string, unknown>)[0]).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });

  test('deleteFile removes the rows and the bytes', async () => {
    const f = await upload(alice, 'delete-me.bin');
    const path = join(bucketRoot, blob(f));
    expect(existsSync(path)).toBe(true);
    const result = await remove(alice, f.uuid);
    expect(result.data?.deleteFile).toEqual({ __typename: 'MutationDeleteFileSuccess', data: f.uuid });
    expect(await db.file.count({ where: { uuid: f.uuid } })).toBe(0);
    expect(await db.fileInstance.count({ where: { fileUuid: f.uuid } })).toBe(0);
    expect(await db.fileLocation.count({ where: { path: blob(f) } })).toBe(0);
    expect(existsSync(path)).toBe(false);
    expect((await serve(f.url)).status).toBe(404);
    // deleting again: NotFoundError
    expect((await remove(alice, f.uuid)).data?.deleteFile).toMatchObject({ __typename: 'NotFoundError' });
  });

  test("deleting one user's file keeps the bytes another user's file shares; the last one takes them", async () => {
    const data = randomBytes(5000);
    const mine = await upload(alice, 'shared-a.bin', data);
    const theirs = await upload(bob, 'shared-b.bin', data);
    expect(blob(theirs)).toBe(blob(mine));
    const path = join(bucketRoot, blob(mine));

    expect((await remove(alice, mine.uuid)).data?.deleteFile.__typename).toBe('MutationDeleteFileSuccess');
    expect(existsSync(path)).toBe(true);
    const served = await serve(theirs.url);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(data)).toBe(true);

    expect((await remove(bob, theirs.uuid)).data?.deleteFile.__typename).toBe('MutationDeleteFileSuccess');
    expect(existsSync(path)).toBe(false);
  });

  test('deleting the last reference while another user uploads the same bytes never loses them (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      const data = randomBytes(8000);
      const mine = await upload(alice, 'race.bin', data);
      const [deleted, theirs] = await Promise.all([remove(alice, mine.uuid), upload(bob, 'race.bin', data)]);
      expect(deleted.data?.deleteFile.__typename).toBe('MutationDeleteFileSuccess');
      const served = await serve(theirs.url);
      expect(served.status, `round ${round}`).toBe(200);
      expect(Buffer.from(await served.arrayBuffer()).equals(data)).toBe(true);
      expect(existsSync(join(bucketRoot, blob(theirs)))).toBe(true);
      await assertConsistent();
      expect((await remove(bob, theirs.uuid)).data?.deleteFile.__typename).toBe('MutationDeleteFileSuccess');
      expect(existsSync(join(bucketRoot, blob(theirs)))).toBe(false);
    }
  });

  test('the same user deleting and re-uploading the bytes stores them again', async () => {
    const data = randomBytes(2500);
    const first = await upload(alice, 'again.bin', data);
    expect((await remove(alice, first.uuid)).data?.deleteFile.__typename).toBe('MutationDeleteFileSuccess');
    expect(existsSync(join(bucketRoot, blob(first)))).toBe(false);
    const second = await upload(alice, 'again.bin', data);
    expect(second.uuid).not.toBe(first.uuid);
    expect(existsSync(join(bucketRoot, blob(second)))).toBe(true);
    expect((await serve(second.url)).status).toBe(200);
  });

  describe('a file attached to a comment', () => {
    async function attach(fileUuid: string) {
      const comment = await db.comment.create({
        data: { resourceType: 'post', resourceUuid: randomUUID(), userUuid: alice.uuid, body: 'look at this' },
      });
      await db.commentMedia.create({ data: { commentUuid: comment.uuid, fileUuid, position: 1 } });
      return comment;
    }

    test('cannot be deleted (FileInUseError); rows and bytes stay intact; detached, it can', async () => {
      const data = randomBytes(3333);
      const f = await upload(alice, 'attached.bin', data);
      const comment = await attach(f.uuid);
      const path = join(bucketRoot, blob(f));

      const refused = await remove(alice, f.uuid);
      expect(refused.data?.deleteFile).toMatchObject({ __typename: 'FileInUseError', code: 'FILE_IN_USE', references: 1 });
      const asAdmin = await remove(admin, f.uuid);
      expect(asAdmin.data?.deleteFile).toMatchObject({ __typename: 'FileInUseError' });
      expect(await db.file.count({ where: { uuid: f.uuid } })).toBe(1);
      expect(await db.fileLocation.count({ where: { path: blob(f), status: 'active' } })).toBe(1);
      expect(existsSync(path)).toBe(true);
      const served = await serve(f.url);
      expect(Buffer.from(await served.arrayBuffer()).equals(data)).toBe(true);

      await db.commentMedia.deleteMany({ where: { commentUuid: comment.uuid } });
      expect((await remove(alice, f.uuid)).data?.deleteFile.__typename).toBe('MutationDeleteFileSuccess');
      expect(existsSync(path)).toBe(false);
      await db.comment.delete({ where: { uuid: comment.uuid } });
    });

    test('is not pruned from the trash either, and keeps its bytes', async () => {
      await app.services.settings.update({ key: 'trash_retention_days', value: '1' });
      try {
        const f = await upload(alice, 'attached-trashed.bin');
        const comment = await attach(f.uuid);
        await execute(app, TrashDocument, { input: { uuid: f.uuid } }, alice.headers);
        await db.file.update({ where: { uuid: f.uuid }, data: { trashedAt: new Date(Date.now() - 10 * 86_400_000) } });
        await app.services.files.pruneTrash();
        expect(await db.file.count({ where: { uuid: f.uuid } })).toBe(1);
        expect(existsSync(join(bucketRoot, blob(f)))).toBe(true);
        await db.commentMedia.deleteMany({ where: { commentUuid: comment.uuid } });
        await db.comment.delete({ where: { uuid: comment.uuid } });
        expect((await remove(alice, f.uuid)).data?.deleteFile.__typename).toBe('MutationDeleteFileSuccess');
      } finally {
        await app.services.settings.update({ key: 'trash_retention_days', value: '30' });
      }
    });
  });

  test('a retention stored before it was bounded still prunes: the cutoff is a century back, not a date out of range', async () => {
    // written past updateSetting (which refuses it), as an older server may have stored it; nothing reads the key
    // between the remove (which drops it from the cache) and the write
    await app.services.settings.remove('trash_retention_days');
    await db.setting.create({ data: { key: 'trash_retention_days', value: '2147483647' } });
    try {
      const kept = await upload(alice, 'kept-a-century.bin');
      expect((await execute(app, TrashDocument, { input: { uuid: kept.uuid } }, alice.headers)).data?.trashFile.__typename).toBe('MutationTrashFileSuccess');
      await db.file.update({ where: { uuid: kept.uuid }, data: { trashedAt: new Date(Date.now() - 36_000 * 86_400_000) } });
      expect(await app.services.files.pruneTrash()).toBe(0);
      await db.file.update({ where: { uuid: kept.uuid }, data: { trashedAt: new Date(Date.now() - 36_501 * 86_400_000) } });
      expect(await app.services.files.pruneTrash()).toBe(1);
    } finally {
      await db.setting.deleteMany({ where: { key: 'trash_retention_days' } });
      await app.services.settings.remove('trash_retention_days');
    }
  });

  test('a file restored while the prune waits for its row lock stays, with its bytes (re-checked under the lock)', async () => {
    await app.services.settings.update({ key: 'trash_retention_days', value: '1' });
    try {
      const f = await upload(alice, 'restored in time.bin');
      await execute(app, TrashDocument, { input: { uuid: f.uuid } }, alice.headers);
      await db.file.update({ where: { uuid: f.uuid }, data: { trashedAt: new Date(Date.now() - 10 * 86_400_000) } });
      let prune: Promise<number> = Promise.resolve(-1);
      await db.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM phoenix_kit_files WHERE uuid = ${f.uuid}::uuid FOR UPDATE`;
        prune = app.services.files.pruneTrash();
        // on PostgreSQL the prune has listed the file and now waits for the row; PGlite runs one transaction at a time
        await untilSomeoneWaitsForALock(backend);
        await tx.file.update({ where: { uuid: f.uuid }, data: { status: 'active', trashedAt: null } });
      });
      expect(await prune).toBe(0);
      expect(await db.file.findUnique({ where: { uuid: f.uuid }, select: { status: true } })).toEqual({ status: 'active' });
      expect(existsSync(join(bucketRoot, blob(f)))).toBe(true);
    } finally {
      await app.services.settings.update({ key: 'trash_retention_days', value: '30' });
    }
  });

  test('uploading the bytes of a trashed file again restores it: the duplicate is never a trashed file', async () => {
    const data = randomBytes(2500);
    const f = await upload(alice, 'trashed then again.bin', data);
    await execute(app, TrashDocument, { input: { uuid: f.uuid } }, alice.headers);
    const again = await uploadVia(app, UploadDocument, { name: 'again.bin', data }, { headers: alice.headers });
    expect(again.data?.uploadFile).toMatchObject({ data: { duplicate: true, file: { uuid: f.uuid, status: 'active' } } });
    expect(await db.file.findUnique({ where: { uuid: f.uuid }, select: { status: true, trashedAt: true } })).toEqual({
      status: 'active',
      trashedAt: null,
    });
    expect((await serve(f.url)).status).toBe(200);
    expect((await list(alice)).map((x) => x.uuid)).toContain(f.uuid);
  });

  test('the bytes of a trashed file uploaded while that file is being deleted: a typed conflict, never a deadlock', async () => {
    const data = randomBytes(2600);
    const f = await upload(alice, 'being deleted.bin', data);
    await execute(app, TrashDocument, { input: { uuid: f.uuid } }, alice.headers);
    let again: Promise<ExecutionResult<FilesLifecycleUploadMutation>> | undefined;
    // a deletion holds the file row first (then the object locks); the upload holds the object lock when it finds the row
    await db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM phoenix_kit_files WHERE uuid = ${f.uuid}::uuid FOR UPDATE`;
      again = uploadVia(app, UploadDocument, { name: 'again.bin', data }, { headers: alice.headers });
      if (backend.database.kind === 'postgres') {
        const result = await again;
        expect(result.data?.uploadFile).toMatchObject({ __typename: 'UploadConflictError', code: 'UPLOAD_CONFLICT' });
      }
    });
    const result = await again!;
    if (backend.database.kind === 'postgres') {
      // nothing changed: the file is still in the trash, and trying again restores it
      expect(await db.file.findUnique({ where: { uuid: f.uuid }, select: { status: true } })).toEqual({ status: 'trashed' });
      const retried = await uploadVia(app, UploadDocument, { name: 'again.bin', data }, { headers: alice.headers });
      expect(retried.data?.uploadFile).toMatchObject({ data: { duplicate: true, file: { uuid: f.uuid, status: 'active' } } });
    } else {
      // one transaction at a time: the upload ran after the lock was released
      expect(result.data?.uploadFile).toMatchObject({ data: { duplicate: true, file: { uuid: f.uuid, status: 'active' } } });
    }
    await assertConsistent();
  });

  test('pruneTrash removes trash older than trash_retention_days only (rows and bytes)', async () => {
    await app.services.settings.update({ key: 'trash_retention_days', value: '7' });
    try {
      const day = 86_400_000;
      const old = await upload(alice, 'old trash.bin');
      const recent = await upload(alice, 'recent trash.bin');
      const kept = await upload(alice, 'not trashed.bin');
      const oldActive = await upload(bob, 'old but active.bin');
      for (const f of [old, recent]) await execute(app, TrashDocument, { input: { uuid: f.uuid } }, alice.headers);
      await db.file.update({ where: { uuid: old.uuid }, data: { trashedAt: new Date(Date.now() - 8 * day) } });
      await db.file.update({ where: { uuid: recent.uuid }, data: { trashedAt: new Date(Date.now() - 6 * day) } });
      await db.file.update({ where: { uuid: oldActive.uuid }, data: { insertedAt: new Date(Date.now() - 365 * day) } });

      const pruned = await app.services.files.pruneTrash();
      expect(pruned).toBe(1);
      expect(await db.file.count({ where: { uuid: old.uuid } })).toBe(0);
      expect(existsSync(join(bucketRoot, blob(old)))).toBe(false);
      for (const f of [recent, kept, oldActive]) {
        expect(await db.file.count({ where: { uuid: f.uuid } })).toBe(1);
        expect(existsSync(join(bucketRoot, blob(f)))).toBe(true);
      }

      // the retention setting is read through the settings service: shortening it prunes the recent one too
      await app.services.settings.update({ key: 'trash_retention_days', value: '5' });
      expect(await app.services.files.pruneTrash()).toBe(1);
      expect(await db.file.count({ where: { uuid: recent.uuid } })).toBe(0);
      expect(existsSync(join(bucketRoot, blob(recent)))).toBe(false);
      for (const f of [kept, oldActive]) expect(await db.file.count({ where: { uuid: f.uuid } })).toBe(1);
    } finally {
      await app.services.settings.update({ key: 'trash_retention_days', value: '30' });
    }
  });
});
