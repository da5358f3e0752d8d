import { randomUUID } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { graphql } from '../gql/index.js';
import { createTestApp, grantRole, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';

const MiB = 1024 * 1024;

const CreateComment = graphql(`
  mutation CommentsMediaCreate($input: CreateCommentInput!) {
    createComment(input: $input) {
      __typename
      ... on MutationCreateCommentSuccess { data { uuid body media { position caption file { uuid originalFileName } } } }
      ... on ValidationError { issues { path message } }
      ... on TooManyAttachmentsError { max }
      ... on FileTooLargeError { maxBytes }
      ... on Error { code message }
    }
  }
`);

const Attach = graphql(`
  mutation CommentsMediaAttach($input: AttachCommentMediaInput!) {
    attachCommentMedia(input: $input) {
      __typename
      ... on MutationAttachCommentMediaSuccess { data { uuid position caption fileUuid comment { uuid } file { uuid } } }
      ... on PositionTakenError { code position }
      ... on TooManyAttachmentsError { max }
      ... on FileTooLargeError { maxBytes }
      ... on ValidationError { issues { path message } }
      ... on Error { code }
    }
  }
`);

const Detach = graphql(`
  mutation CommentsMediaDetach($input: DetachCommentMediaInput!) {
    detachCommentMedia(input: $input) {
      __typename
      ... on MutationDetachCommentMediaSuccess { data { uuid media { position fileUuid } } }
      ... on ValidationError { issues { path message } }
      ... on Error { code }
    }
  }
`);

const Reorder = graphql(`
  mutation CommentsMediaReorder($input: ReorderCommentMediaInput!) {
    reorderCommentMedia(input: $input) {
      __typename
      ... on MutationReorderCommentMediaSuccess { data { uuid media { uuid position fileUuid } } }
      ... on ValidationError { issues { path message } }
      ... on Error { code }
    }
  }
`);

const UpdateMedia = graphql(`
  mutation CommentsMediaUpdate($input: UpdateCommentMediaInput!) {
    updateCommentMedia(input: $input) {
      __typename
      ... on MutationUpdateCommentMediaSuccess { data { uuid caption } }
      ... on ValidationError { issues { path message } }
      ... on Error { code }
    }
  }
`);

const DeleteComment = graphql(`
  mutation CommentsMediaDeleteComment($input: DeleteCommentInput!) {
    deleteComment(input: $input) {
      __typename
      ... on Error { code }
    }
  }
`);

const DeleteFile = graphql(`
  mutation CommentsMediaDeleteFile($input: FileRefInput!) {
    deleteFile(input: $input) {
      __typename
      ... on MutationDeleteFileSuccess { data }
      ... on FileInUseError { code references }
      ... on Error { code }
    }
  }
`);

const FileAttachments = graphql(`
  query CommentsMediaFile($uuid: UUID!) {
    file(uuid: $uuid) { uuid commentMedia { position comment { uuid } } }
  }
`);

const ReadComment = graphql(`
  query CommentsMediaRead($uuid: UUID!) {
    comment(uuid: $uuid) { uuid media { uuid position caption fileUuid } }
  }
`);

const ReadAttachmentOwner = graphql(`
  query CommentsMediaAttachmentOwner($uuid: UUID!) {
    comment(uuid: $uuid) { media { file { uuid user { uuid files(first: 50) { edges { node { uuid } } } } } } }
  }
`);

const AttachmentPlaces = graphql(`
  query CommentsMediaPlaces($uuid: UUID!) {
    comment(uuid: $uuid) { media { file { commentMedia { comment { uuid } } } } }
  }
`);

function outcomeOf(result: ExecutionResult<unknown>): string {
  const code = result.errors?.[0]?.extensions?.code;
  if (typeof code === 'string') return code;
  const payload = Object.values((result.data ?? {}) as Record<string, { __typename?: string } | null>)[0];
  return payload?.__typename?.endsWith('Success') ? 'ok' : String(payload?.__typename);
}

describe.each(backends)('comment media on %s', (_name, open) => {
  let backend: Backend;
  let app: App;
  let db: Db;
  let owner: TestUser;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;

  const setSetting = (key: string, value: string) => app.services.settings.update({ key, value });
  const makeFile = (by: TestUser, size = 1000, status = 'active') =>
    db.file.create({
      data: {
        originalFileName: `photo-${randomUUID().slice(0, 8)}.png`,
        fileName: `${randomUUID()}.png`,
        mimeType: 'image/png',
        fileType: 'image',
        ext: 'png',
        fileChecksum: randomUUID(),
        userFileChecksum: randomUUID(),
        size: BigInt(size),
        userUuid: by.uuid,
        status,
      },
    });
  const counts = async () => ({ comments: await db.comment.count(), media: await db.commentMedia.count() });

  async function commentWith(by: TestUser, fileUuids: string[] = []) {
    const r = await execute(
      app,
      CreateComment,
      { input: { resourceType: 'post', resourceUuid: randomUUID(), body: 'look', attachments: fileUuids.map((fileUuid) => ({ fileUuid })) } },
      by.headers,
    );
    if (r.data?.createComment.__typename !== 'MutationCreateCommentSuccess') throw new Error(JSON.stringify(r));
    return r.data.createComment.data;
  }

  beforeAll(async () => {
    backend = await open();
    app = createTestApp(backend);
    db = backend.database.prisma;
    owner = await signUp(app);
    admin = await signUp(app);
    alice = await signUp(app);
    bob = await signUp(app);
    await grantRole(db, admin.uuid, 'Admin');
    await setSetting('comments_enabled', 'true');
    await setSetting('comments_attachments_enabled', 'true');
  });
  afterAll(() => backend.close());

  test('a comment with 4 attachments is created with them at positions 1..4, listed in position order', async () => {
    const files = await Promise.all([1, 2, 3, 4].map(() => makeFile(alice)));
    const r = await execute(
      app,
      CreateComment,
      {
        input: {
          resourceType: 'post',
          resourceUuid: randomUUID(),
          body: '',
          attachments: files.map((f, i) => ({ fileUuid: f.uuid, caption: i === 0 ? 'cover' : null })),
        },
      },
      alice.headers,
    );
    expect(r.data?.createComment.__typename, JSON.stringify(r)).toBe('MutationCreateCommentSuccess');
    if (r.data?.createComment.__typename !== 'MutationCreateCommentSuccess') return;
    expect(r.data.createComment.data.media).toEqual(
      files.map((f, i) => ({ position: i + 1, caption: i === 0 ? 'cover' : null, file: { uuid: f.uuid, originalFileName: f.originalFileName } })),
    );
    const where = await execute(app, FileAttachments, { uuid: files[2]!.uuid }, alice.headers);
    expect(where.data?.file?.commentMedia).toEqual([{ position: 3, comment: { uuid: r.data.createComment.data.uuid } }]);
  });

  test("comments_enabled off: a file's commentMedia says MODULE_DISABLED, and lists again once comments are back", async () => {
    const file = await makeFile(alice);
    const r = await execute(app, CreateComment, { input: { resourceType: 'post', resourceUuid: randomUUID(), body: 'x', attachments: [{ fileUuid: file.uuid }] } }, alice.headers);
    expect(r.data?.createComment.__typename).toBe('MutationCreateCommentSuccess');
    await setSetting('comments_enabled', 'false');
    try {
      const off = await execute(app, FileAttachments, { uuid: file.uuid }, alice.headers);
      expect(off.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['MODULE_DISABLED', ['file', 'commentMedia']]]);
    } finally {
      await setSetting('comments_enabled', 'true');
    }
    const on = await execute(app, FileAttachments, { uuid: file.uuid }, alice.headers);
    expect(on.errors).toBeUndefined();
    expect(on.data?.file?.commentMedia).toHaveLength(1);
    // the switch is checked per file from the settings cache: the lists still load with their parents
    const statementsFor = async (attachments: number) => {
      const files = await Promise.all(Array.from({ length: attachments }, () => makeFile(alice)));
      const c = await execute(app, CreateComment, { input: { resourceType: 'post', resourceUuid: randomUUID(), body: 'x', attachments: files.map((f) => ({ fileUuid: f.uuid })) } }, alice.headers);
      if (c.data?.createComment.__typename !== 'MutationCreateCommentSuccess') throw new Error(JSON.stringify(c));
      const start = backend.queries.length;
      const read = await execute(app, AttachmentPlaces, { uuid: c.data.createComment.data.uuid }, alice.headers);
      expect(read.data?.comment?.media.map((m) => m.file.commentMedia.length)).toEqual(files.map(() => 1));
      return backend.queries.length - start;
    };
    expect(await statementsFor(4)).toBe(await statementsFor(1));
  });

  test('a failing 4th attachment rolls back the comment and the first 3', async () => {
    const fine = await Promise.all([1, 2, 3].map(() => makeFile(alice)));
    const tooBig = await makeFile(alice, 21 * MiB); // over the default 20 MB cap
    const before = await counts();
    const start = backend.queries.length;
    const r = await execute(
      app,
      CreateComment,
      { input: { resourceType: 'post', resourceUuid: randomUUID(), body: 'four', attachments: [...fine, tooBig].map((f) => ({ fileUuid: f.uuid })) } },
      alice.headers,
    );
    expect(r.data?.createComment).toEqual({ __typename: 'FileTooLargeError', maxBytes: 20 * MiB, code: 'FILE_TOO_LARGE', message: expect.any(String) });
    // the comment and three attachments were inserted, then rolled back together
    const statements = backend.queries.slice(start);
    expect(statements.filter((q) => /INSERT INTO .*"phoenix_kit_comments"/.test(q))).toHaveLength(1);
    expect(statements.filter((q) => /INSERT INTO .*"phoenix_kit_comment_media"/.test(q))).toHaveLength(3);
    expect(await counts()).toEqual(before);
  });

  test.each<[string, () => Promise<Record<string, unknown>>, string]>([
    ['attachments switched off', async () => ({ setting: ['comments_attachments_enabled', 'false'] }), 'AttachmentsDisabledError'],
    ['five attachments', async () => ({ count: 5 }), 'TooManyAttachmentsError'],
    ["someone else's file", async () => ({ foreign: true }), 'ValidationError'],
    ['the same file twice', async () => ({ twice: true }), 'ValidationError'],
    ['a file in the trash', async () => ({ trashed: true }), 'ValidationError'],
  ])('refused at creation (%s): nothing is written', async (_name, setup, typename) => {
    const opts = (await setup()) as { setting?: [string, string]; count?: number; foreign?: boolean; twice?: boolean; trashed?: boolean };
    const files = await Promise.all(Array.from({ length: opts.count ?? 2 }, () => makeFile(alice)));
    if (opts.foreign) files.push(await makeFile(bob));
    if (opts.twice) files.push(files[0]!);
    if (opts.trashed) files.push(await makeFile(alice, 1000, 'trashed'));
    if (opts.setting) await setSetting(...opts.setting);
    try {
      const before = await counts();
      const r = await execute(
        app,
        CreateComment,
        { input: { resourceType: 'post', resourceUuid: randomUUID(), body: 'x', attachments: files.map((f) => ({ fileUuid: f.uuid })) } },
        alice.headers,
      );
      expect(r.data?.createComment.__typename, JSON.stringify(r)).toBe(typename);
      if (opts.foreign) expect(r.data?.createComment).toMatchObject({ issues: [{ path: 'attachments.2.fileUuid', message: 'is not a file you can use' }] });
      if (opts.count) expect(r.data?.createComment).toMatchObject({ max: 4 });
      if (opts.trashed) expect(r.data?.createComment).toMatchObject({ issues: [{ path: 'attachments.2.fileUuid', message: 'is in the trash' }] });
      expect(await counts()).toEqual(before);
    } finally {
      if (opts.setting) await setSetting(opts.setting[0], 'true');
    }
  });

  test('attach appends by default, takes a free position and a caption, and enforces the rules', async () => {
    const [a, b, c, d, e] = await Promise.all([1, 2, 3, 4, 5].map(() => makeFile(alice)));
    const target = await commentWith(alice, [a!.uuid]);
    const attach = (input: Record<string, unknown>, who = alice) => execute(app, Attach, { input: { commentUuid: target.uuid, ...input } as never }, who.headers);

    expect((await attach({ fileUuid: b!.uuid, caption: 'second' })).data?.attachCommentMedia).toMatchObject({ data: { position: 2, caption: 'second', fileUuid: b!.uuid } });
    expect((await attach({ fileUuid: c!.uuid, position: 4 })).data?.attachCommentMedia).toMatchObject({ data: { position: 4 } });
    const before = await counts();
    expect((await attach({ fileUuid: d!.uuid, position: 2 })).data?.attachCommentMedia).toMatchObject({ __typename: 'PositionTakenError', position: 2, code: 'POSITION_TAKEN' });
    expect((await attach({ fileUuid: d!.uuid, position: 5 })).data?.attachCommentMedia).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'position' }] });
    expect((await attach({ fileUuid: a!.uuid })).data?.attachCommentMedia).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'fileUuid' }] });
    expect((await attach({ fileUuid: d!.uuid, caption: 'c'.repeat(501) })).data?.attachCommentMedia).toMatchObject({ issues: [{ path: 'caption' }] });
    expect((await attach({ fileUuid: (await makeFile(bob)).uuid })).data?.attachCommentMedia).toMatchObject({ __typename: 'NotFoundError' });
    expect((await attach({ fileUuid: (await makeFile(alice, 1000, 'trashed')).uuid })).data?.attachCommentMedia).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ path: 'fileUuid', message: 'is in the trash' }],
    });
    expect((await attach({ fileUuid: (await makeFile(alice, 25 * MiB)).uuid })).data?.attachCommentMedia).toMatchObject({ __typename: 'FileTooLargeError', maxBytes: 20 * MiB });
    expect((await execute(app, Attach, { input: { commentUuid: randomUUID(), fileUuid: d!.uuid } }, alice.headers)).data?.attachCommentMedia).toMatchObject({ __typename: 'NotFoundError' });
    expect(await counts()).toEqual(before);

    // the default is the first free position
    expect((await attach({ fileUuid: d!.uuid })).data?.attachCommentMedia).toMatchObject({ data: { position: 3 } });
    expect((await attach({ fileUuid: e!.uuid })).data?.attachCommentMedia).toMatchObject({ __typename: 'TooManyAttachmentsError', max: 4 });
    const read = await execute(app, ReadComment, { uuid: target.uuid }, bob.headers);
    expect(read.data?.comment?.media.map((m) => [m.position, m.fileUuid])).toEqual([
      [1, a!.uuid],
      [2, b!.uuid],
      [3, d!.uuid],
      [4, c!.uuid],
    ]);
  });

  test('the per-file cap is the smaller of comments_attachment_max_size_mb and storage_max_upload_size_mb', async () => {
    const target = await commentWith(alice);
    const twoMb = await makeFile(alice, 2 * MiB);
    await setSetting('storage_max_upload_size_mb', '1');
    try {
      const r = await execute(app, Attach, { input: { commentUuid: target.uuid, fileUuid: twoMb.uuid } }, alice.headers);
      expect(r.data?.attachCommentMedia).toMatchObject({ __typename: 'FileTooLargeError', maxBytes: MiB });
    } finally {
      await setSetting('storage_max_upload_size_mb', '500');
    }
    const ok = await execute(app, Attach, { input: { commentUuid: target.uuid, fileUuid: twoMb.uuid } }, alice.headers);
    expect(ok.data?.attachCommentMedia.__typename).toBe('MutationAttachCommentMediaSuccess');
  });

  test('simultaneous attaches to one position: exactly one wins, the others get PositionTakenError', async () => {
    const first = await makeFile(alice);
    const target = await commentWith(alice, [first.uuid]);
    const contenders = await Promise.all(Array.from({ length: 6 }, () => makeFile(alice)));
    const results = await Promise.all(
      contenders.map((f) => execute(app, Attach, { input: { commentUuid: target.uuid, fileUuid: f.uuid, position: 3 } }, alice.headers)),
    );
    const kinds = results.map((r) => r.data?.attachCommentMedia.__typename);
    expect(kinds.filter((k) => k === 'MutationAttachCommentMediaSuccess')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'PositionTakenError')).toHaveLength(5);
    const rows = await db.commentMedia.findMany({ where: { commentUuid: target.uuid }, orderBy: { position: 'asc' } });
    expect(rows.map((m) => m.position)).toEqual([1, 3]);
  });

  test('detach (by uuid or by comment and file) keeps the file and closes the gap; reorder and captions', async () => {
    const files = await Promise.all([1, 2, 3, 4].map(() => makeFile(alice)));
    const target = await commentWith(alice, files.map((f) => f.uuid));
    const media = await db.commentMedia.findMany({ where: { commentUuid: target.uuid }, orderBy: { position: 'asc' } });

    const byUuid = await execute(app, Detach, { input: { mediaUuid: media[1]!.uuid } }, alice.headers);
    expect(byUuid.data?.detachCommentMedia).toMatchObject({
      data: { media: [{ position: 1, fileUuid: files[0]!.uuid }, { position: 2, fileUuid: files[2]!.uuid }, { position: 3, fileUuid: files[3]!.uuid }] },
    });
    expect(await db.file.count({ where: { uuid: files[1]!.uuid } })).toBe(1);
    const byPair = await execute(app, Detach, { input: { commentUuid: target.uuid, fileUuid: files[0]!.uuid } }, alice.headers);
    expect(byPair.data?.detachCommentMedia).toMatchObject({ data: { media: [{ position: 1, fileUuid: files[2]!.uuid }, { position: 2, fileUuid: files[3]!.uuid }] } });
    const ambiguous = await execute(app, Detach, { input: { commentUuid: target.uuid } }, alice.headers);
    expect(ambiguous.data?.detachCommentMedia).toMatchObject({ __typename: 'ValidationError' });
    const gone = await execute(app, Detach, { input: { mediaUuid: media[1]!.uuid } }, alice.headers);
    expect(gone.data?.detachCommentMedia).toMatchObject({ __typename: 'NotFoundError' });

    const reordered = await execute(app, Reorder, { input: { commentUuid: target.uuid, mediaUuids: [media[3]!.uuid, media[2]!.uuid] } }, alice.headers);
    expect(reordered.data?.reorderCommentMedia).toMatchObject({
      data: { media: [{ uuid: media[3]!.uuid, position: 1 }, { uuid: media[2]!.uuid, position: 2 }] },
    });
    const partial = await execute(app, Reorder, { input: { commentUuid: target.uuid, mediaUuids: [media[3]!.uuid] } }, alice.headers);
    expect(partial.data?.reorderCommentMedia).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'mediaUuids' }] });

    const captioned = await execute(app, UpdateMedia, { input: { mediaUuid: media[2]!.uuid, caption: 'sunset' } }, alice.headers);
    expect(captioned.data?.updateCommentMedia).toMatchObject({ data: { uuid: media[2]!.uuid, caption: 'sunset' } });
    const cleared = await execute(app, UpdateMedia, { input: { mediaUuid: media[2]!.uuid, caption: ' ' } }, alice.headers);
    expect(cleared.data?.updateCommentMedia).toMatchObject({ data: { caption: null } });
  });

  test('an attached file cannot be deleted (FileInUseError, nothing changes); deleting the comment removes its attachments, then the file can go', async () => {
    const file = await makeFile(alice);
    const target = await commentWith(alice, [file.uuid]);
    const refused = await execute(app, DeleteFile, { input: { uuid: file.uuid } }, alice.headers);
    expect(refused.data?.deleteFile).toMatchObject({ __typename: 'FileInUseError', code: 'FILE_IN_USE', references: 1 });
    expect(await db.file.count({ where: { uuid: file.uuid } })).toBe(1);
    expect(await db.commentMedia.count({ where: { commentUuid: target.uuid } })).toBe(1);

    const deleted = await execute(app, DeleteComment, { input: { uuid: target.uuid } }, alice.headers);
    expect(deleted.data?.deleteComment.__typename).toBe('MutationDeleteCommentSuccess');
    expect(await db.commentMedia.count({ where: { commentUuid: target.uuid } })).toBe(0);
    const allowed = await execute(app, DeleteFile, { input: { uuid: file.uuid } }, alice.headers);
    expect(allowed.data?.deleteFile).toEqual({ __typename: 'MutationDeleteFileSuccess', data: file.uuid });
    const attachToDeleted = await execute(app, Attach, { input: { commentUuid: target.uuid, fileUuid: (await makeFile(alice)).uuid } }, alice.headers);
    expect(attachToDeleted.data?.attachCommentMedia).toMatchObject({ __typename: 'NotFoundError' });
  });

  test('authorization matrix: only the comment author or an admin attaches, detaches, reorders and captions', async () => {
    const callers = { anonymous: {}, other: bob.headers, author: alice.headers, admin: admin.headers, owner: owner.headers };
    const expected = { anonymous: 'UNAUTHENTICATED', other: 'FORBIDDEN', author: 'ok', admin: 'ok', owner: 'ok' };
    for (const [who, headers] of Object.entries(callers)) {
      const [kept, detached] = await Promise.all([makeFile(alice), makeFile(alice)]);
      const target = await commentWith(alice, [kept!.uuid, detached!.uuid]);
      const media = await db.commentMedia.findMany({ where: { commentUuid: target.uuid }, orderBy: { position: 'asc' } });
      // admins may attach any file; others only their own
      const attachable = await makeFile(who === 'admin' ? admin : who === 'owner' ? owner : alice);
      const outcomes = [
        await execute(app, UpdateMedia, { input: { mediaUuid: media[0]!.uuid, caption: who } }, headers),
        await execute(app, Reorder, { input: { commentUuid: target.uuid, mediaUuids: [media[1]!.uuid, media[0]!.uuid] } }, headers),
        await execute(app, Detach, { input: { mediaUuid: media[1]!.uuid } }, headers),
        await execute(app, Attach, { input: { commentUuid: target.uuid, fileUuid: attachable.uuid } }, headers),
      ];
      expect(outcomes.map(outcomeOf), who).toEqual(outcomes.map(() => expected[who as keyof typeof expected]));
      const rows = await db.commentMedia.findMany({ where: { commentUuid: target.uuid }, orderBy: { position: 'asc' } });
      expect(rows.map((m) => m.fileUuid), who).toEqual(expected[who as keyof typeof expected] === 'ok' ? [kept!.uuid, attachable.uuid] : [kept!.uuid, detached!.uuid]);
    }
  });

  test('where an attached file is also attached: only in comments the reader may read', async () => {
    const file = await makeFile(alice);
    const shown = await commentWith(alice, [file.uuid]);
    const held = await commentWith(alice, [file.uuid]);
    await db.comment.update({ where: { uuid: held.uuid }, data: { status: 'hidden' } });
    const places = async (reader: TestUser) => {
      const r = await execute(app, AttachmentPlaces, { uuid: shown.uuid }, reader.headers);
      expect(r.errors).toBeUndefined();
      return r.data?.comment?.media[0]?.file.commentMedia.map((m) => m.comment.uuid).sort();
    };
    expect(await places(bob)).toEqual([shown.uuid]);
    expect(await places(alice)).toEqual([shown.uuid, held.uuid].sort());
    expect(await places(admin)).toEqual([shown.uuid, held.uuid].sort());
  });

  test("a reader of a comment sees the attached file, not the author's other files", async () => {
    const [attached, unrelated] = [await makeFile(alice), await makeFile(alice)];
    const target = await commentWith(alice, [attached.uuid]);
    const asBob = await execute(app, ReadAttachmentOwner, { uuid: target.uuid }, bob.headers);
    expect(asBob.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(asBob.data?.comment?.media).toEqual([{ file: { uuid: attached.uuid, user: { uuid: alice.uuid, files: null } } }]);
    for (const reader of [alice, admin]) {
      const listed = await execute(app, ReadAttachmentOwner, { uuid: target.uuid }, reader.headers);
      expect(listed.errors).toBeUndefined();
      const files = listed.data?.comment?.media[0]?.file.user?.files?.edges.map((e) => e.node.uuid);
      expect(files).toEqual(expect.arrayContaining([attached.uuid, unrelated.uuid]));
    }
  });
});
