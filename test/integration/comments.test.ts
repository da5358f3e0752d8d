import { randomUUID } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { graphql } from '../gql/index.js';
import { createTestApp, grantRole, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';

const CreateComment = graphql(`
  mutation CommentsCreate($input: CreateCommentInput!) {
    createComment(input: $input) {
      __typename
      ... on MutationCreateCommentSuccess {
        data { id uuid resourceType resourceUuid body depth status parentUuid userUuid author { uuid username } editedAt media { uuid } }
      }
      ... on ValidationError { code issues { path message } }
      ... on Error { code message }
    }
  }
`);

const UpdateComment = graphql(`
  mutation CommentsUpdate($input: UpdateCommentInput!) {
    updateComment(input: $input) {
      __typename
      ... on MutationUpdateCommentSuccess { data { uuid body editedAt } }
      ... on ValidationError { issues { path message } }
      ... on Error { code }
    }
  }
`);

const DeleteComment = graphql(`
  mutation CommentsDelete($input: DeleteCommentInput!) {
    deleteComment(input: $input) {
      __typename
      ... on MutationDeleteCommentSuccess { data }
      ... on Error { code }
    }
  }
`);

const ListComments = graphql(`
  query CommentsList($resourceType: String!, $resourceUuid: UUID!, $first: Int, $after: String) {
    comments(resourceType: $resourceType, resourceUuid: $resourceUuid, first: $first, after: $after) {
      edges { node { uuid body depth status parent { uuid status body } author { uuid } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const OneComment = graphql(`
  query CommentsOne($uuid: UUID!) {
    comment(uuid: $uuid) { uuid status body }
  }
`);

function outcomeOf(result: ExecutionResult<unknown>): string {
  const code = result.errors?.[0]?.extensions?.code;
  if (typeof code === 'string') return code;
  const payload = Object.values((result.data ?? {}) as Record<string, { __typename?: string } | null>)[0];
  return payload?.__typename?.endsWith('Success') ? 'ok' : String(payload?.__typename);
}

describe.each(backends)('comments on %s', (_name, open) => {
  let backend: Backend;
  let app: App;
  let db: Db;
  let owner: TestUser;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;

  const setSetting = (key: string, value: string) => app.services.settings.update({ key, value });

  async function comment(by: TestUser, input: { resourceUuid?: string; body?: string; parentId?: string; resourceType?: string } = {}) {
    const r = await execute(
      app,
      CreateComment,
      { input: { resourceType: input.resourceType ?? 'post', resourceUuid: input.resourceUuid ?? randomUUID(), body: input.body ?? 'Nice post', parentId: input.parentId } },
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
    alice = await signUp(app, { username: `alice_${randomUUID().slice(0, 6)}` });
    bob = await signUp(app);
    await grantRole(db, admin.uuid, 'Admin');
    await setSetting('comments_enabled', 'true');
  });
  afterAll(() => backend.close());

  test('a comment and replies: depth grows by one, the parent may be named by uuid or by Relay id', async () => {
    const post = randomUUID();
    const top = await comment(alice, { resourceUuid: post, body: 'First!' });
    expect(top).toMatchObject({ resourceType: 'post', resourceUuid: post, body: 'First!', depth: 0, status: 'published', parentUuid: null, userUuid: alice.uuid, editedAt: null, media: [] });
    expect(top.author?.uuid).toBe(alice.uuid);
    expect(top.author?.username).toMatch(/^alice_/);
    const reply = await comment(bob, { resourceUuid: post, parentId: top.uuid, body: 'Second' });
    const nested = await comment(alice, { resourceUuid: post, parentId: reply.id, body: 'Third' });
    expect([reply.depth, reply.parentUuid, nested.depth, nested.parentUuid]).toEqual([1, top.uuid, 2, reply.uuid]);
  });

  test('threads nest below comments_max_depth', async () => {
    await setSetting('comments_max_depth', '3');
    try {
      const post = randomUUID();
      let parent = await comment(alice, { resourceUuid: post });
      for (let depth = 1; depth < 3; depth++) parent = await comment(alice, { resourceUuid: post, parentId: parent.uuid });
      expect(parent.depth).toBe(2);
      const before = await db.comment.count();
      const tooDeep = await execute(app, CreateComment, { input: { resourceType: 'post', resourceUuid: post, body: 'deeper', parentId: parent.uuid } }, alice.headers);
      expect(tooDeep.data?.createComment).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'parentId', message: 'replies nest at most 3 levels deep' }] });
      expect(await db.comment.count()).toBe(before);
    } finally {
      await setSetting('comments_max_depth', '10');
    }
  });

  test.each<[string, Record<string, unknown>, string, string]>([
    ['body over comments_max_length', { body: 'x'.repeat(21) }, 'body', 'at most 20 characters'],
    ['blank body without files', { body: '  \n ' }, 'body', 'is required'],
    ['NUL in the body', { body: 'a\u0000b' }, 'body', 'cannot be stored'],
    ['bad resource type', { resourceType: 'Blog Post' }, 'resourceType', 'a-z'],
    ['unknown parent', { parentId: randomUUID() }, 'parentId', 'is not a comment'],
    ['parent that is not an id', { parentId: 'not-an-id' }, 'parentId', "comment's uuid or id"],
  ])('bad input (%s) gives ValidationError and writes nothing', async (_name, overrides, path, message) => {
    await setSetting('comments_max_length', '20');
    try {
      const before = await db.comment.count();
      const r = await execute(app, CreateComment, { input: { resourceType: 'post', resourceUuid: randomUUID(), body: 'ok', ...overrides } }, alice.headers);
      expect(r.data?.createComment).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', issues: [{ path, message: expect.stringContaining(message) }] });
      expect(await db.comment.count()).toBe(before);
    } finally {
      await setSetting('comments_max_length', '10000');
    }
  });

  test('20 characters fit a comments_max_length of 20 (counted in characters, not bytes)', async () => {
    await setSetting('comments_max_length', '20');
    try {
      expect((await comment(alice, { body: 'ü'.repeat(20) })).body).toBe('ü'.repeat(20));
    } finally {
      await setSetting('comments_max_length', '10000');
    }
  });

  test("another user's pending or hidden comment: not shown as a parent, and not a parent for replies", async () => {
    const post = randomUUID();
    const secret = `held back ${randomUUID()}`;
    const parent = await comment(alice, { resourceUuid: post, body: secret });
    const reply = await comment(bob, { resourceUuid: post, parentId: parent.uuid, body: 'reply' });
    const parentSeenBy = async (reader: TestUser) => {
      const list = await execute(app, ListComments, { resourceType: 'post', resourceUuid: post, first: 10 }, reader.headers);
      expect(list.errors).toBeUndefined();
      return list.data?.comments.edges.find((e) => e.node.uuid === reply.uuid)?.node.parent ?? null;
    };
    for (const status of ['pending', 'hidden']) {
      await db.comment.update({ where: { uuid: parent.uuid }, data: { status } });
      expect(await parentSeenBy(bob), status).toBeNull();
      expect(await parentSeenBy(alice), status).toEqual({ uuid: parent.uuid, status, body: secret });
      expect(await parentSeenBy(admin), status).toEqual({ uuid: parent.uuid, status, body: secret });

      const before = await db.comment.count();
      const refused = await execute(app, CreateComment, { input: { resourceType: 'post', resourceUuid: post, body: 'x', parentId: parent.uuid } }, bob.headers);
      expect(refused.data?.createComment, status).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'parentId', message: 'is not a comment' }] });
      expect(await db.comment.count()).toBe(before);
      // its author and admins may still reply
      expect((await comment(alice, { resourceUuid: post, parentId: parent.uuid })).parentUuid).toBe(parent.uuid);
      expect((await comment(admin, { resourceUuid: post, parentId: parent.uuid })).parentUuid).toBe(parent.uuid);
    }
  });

  test('a reply must be on the same resource as its parent', async () => {
    const parent = await comment(alice);
    const r = await execute(app, CreateComment, { input: { resourceType: 'post', resourceUuid: randomUUID(), body: 'x', parentId: parent.uuid } }, bob.headers);
    expect(r.data?.createComment).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'parentId', message: 'belongs to another resource' }] });
  });

  test('listing per resource: oldest first, paged, other resources left out', async () => {
    const post = randomUUID();
    const made = [];
    for (const body of ['one', 'two', 'three']) made.push(await comment(alice, { resourceUuid: post, body }));
    await comment(bob, { resourceUuid: randomUUID(), body: 'elsewhere' });
    await comment(bob, { resourceUuid: post, resourceType: 'photo', body: 'other type' });
    const page1 = await execute(app, ListComments, { resourceType: 'post', resourceUuid: post, first: 2 }, bob.headers);
    expect(page1.data?.comments.edges.map((e) => e.node.body)).toEqual(['one', 'two']);
    expect(page1.data?.comments.pageInfo.hasNextPage).toBe(true);
    const page2 = await execute(app, ListComments, { resourceType: 'post', resourceUuid: post, first: 2, after: page1.data?.comments.pageInfo.endCursor }, bob.headers);
    expect(page2.data?.comments.edges.map((e) => e.node.body)).toEqual(['three']);
    const anonymous = await execute(app, ListComments, { resourceType: 'post', resourceUuid: post, first: 2 });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('edit: the body changes and editedAt is set; bad bodies change nothing', async () => {
    const mine = await comment(alice, { body: 'typo' });
    const r = await execute(app, UpdateComment, { input: { uuid: mine.uuid, body: 'fixed' } }, alice.headers);
    expect(r.data?.updateComment).toMatchObject({ __typename: 'MutationUpdateCommentSuccess', data: { body: 'fixed', editedAt: expect.any(String) } });
    const before = await db.comment.findUniqueOrThrow({ where: { uuid: mine.uuid } });
    const blank = await execute(app, UpdateComment, { input: { uuid: mine.uuid, body: ' ' } }, alice.headers);
    expect(blank.data?.updateComment).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'body', message: 'is required' }] });
    expect(await db.comment.findUniqueOrThrow({ where: { uuid: mine.uuid } })).toEqual(before);
    const missing = await execute(app, UpdateComment, { input: { uuid: randomUUID(), body: 'x' } }, alice.headers);
    expect(missing.data?.updateComment).toMatchObject({ __typename: 'NotFoundError' });
  });

  test('delete: the comment leaves the list and loses its body; replies stay in the thread', async () => {
    const post = randomUUID();
    const parent = await comment(alice, { resourceUuid: post, body: 'secret' });
    const reply = await comment(bob, { resourceUuid: post, parentId: parent.uuid, body: 'reply' });
    const r = await execute(app, DeleteComment, { input: { uuid: parent.uuid } }, alice.headers);
    expect(r.data?.deleteComment).toEqual({ __typename: 'MutationDeleteCommentSuccess', data: parent.uuid });
    expect(await db.comment.findUniqueOrThrow({ where: { uuid: parent.uuid } })).toMatchObject({ status: 'deleted', body: '' });
    const list = await execute(app, ListComments, { resourceType: 'post', resourceUuid: post, first: 10 }, bob.headers);
    expect(list.data?.comments.edges.map((e) => e.node)).toEqual([
      { uuid: reply.uuid, body: 'reply', depth: 1, status: 'published', parent: { uuid: parent.uuid, status: 'deleted', body: '' }, author: { uuid: bob.uuid } },
    ]);
    const again = await execute(app, DeleteComment, { input: { uuid: parent.uuid } }, alice.headers);
    expect(again.data?.deleteComment).toMatchObject({ __typename: 'NotFoundError' });
    const edit = await execute(app, UpdateComment, { input: { uuid: parent.uuid, body: 'back' } }, alice.headers);
    expect(edit.data?.updateComment).toMatchObject({ __typename: 'NotFoundError' });
    const replyToDeleted = await execute(app, CreateComment, { input: { resourceType: 'post', resourceUuid: post, body: 'x', parentId: parent.uuid } }, bob.headers);
    expect(replyToDeleted.data?.createComment).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'parentId' }] });
  });

  test('authorization matrix: anyone signed in comments; only the author or an admin edits and deletes', async () => {
    const callers = { anonymous: {}, other: bob.headers, author: alice.headers, admin: admin.headers, owner: owner.headers };
    const expected = {
      anonymous: ['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED'],
      other: ['ok', 'FORBIDDEN', 'FORBIDDEN'],
      author: ['ok', 'ok', 'ok'],
      admin: ['ok', 'ok', 'ok'],
      owner: ['ok', 'ok', 'ok'],
    };
    for (const [who, headers] of Object.entries(callers)) {
      const target = await comment(alice, { body: 'target' });
      const outcomes = [
        await execute(app, CreateComment, { input: { resourceType: 'post', resourceUuid: randomUUID(), body: who } }, headers),
        await execute(app, UpdateComment, { input: { uuid: target.uuid, body: `edited by ${who}` } }, headers),
        await execute(app, DeleteComment, { input: { uuid: target.uuid } }, headers),
      ];
      expect(outcomes.map(outcomeOf), who).toEqual(expected[who as keyof typeof expected]);
      const row = await db.comment.findUniqueOrThrow({ where: { uuid: target.uuid } });
      expect(row.status, who).toBe(expected[who as keyof typeof expected][2] === 'ok' ? 'deleted' : 'published');
    }
  });

  test('comments_enabled off: writes get CommentsDisabledError and change nothing; queries say MODULE_DISABLED', async () => {
    const existing = await comment(alice);
    await setSetting('comments_enabled', 'false');
    try {
      const before = await db.comment.count();
      const r = await execute(app, CreateComment, { input: { resourceType: 'post', resourceUuid: randomUUID(), body: 'x' } }, alice.headers);
      expect(r.data?.createComment).toMatchObject({ __typename: 'CommentsDisabledError', code: 'COMMENTS_DISABLED' });
      const edit = await execute(app, UpdateComment, { input: { uuid: existing.uuid, body: 'y' } }, alice.headers);
      expect(edit.data?.updateComment).toMatchObject({ __typename: 'CommentsDisabledError' });
      expect(await db.comment.count()).toBe(before);
      expect((await db.comment.findUniqueOrThrow({ where: { uuid: existing.uuid } })).body).toBe('Nice post');
      const read = await execute(app, OneComment, { uuid: existing.uuid }, alice.headers);
      expect(read.errors?.[0]?.extensions?.code).toBe('MODULE_DISABLED');
    } finally {
      await setSetting('comments_enabled', 'true');
    }
  });
});
