import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends, untilSomeoneWaitsForALock } from '../../helpers/backends.js';
import { CREATE_COMMENT, openWorld, run, type World } from '../../helpers/content.js';

const DELETE = `mutation($input: DeleteCommentInput!) { deleteComment(input: $input) { __typename ... on Error { code } } }`;
const UPDATE = `mutation($input: UpdateCommentInput!) { updateComment(input: $input) { __typename ... on Error { code } } }`;
const READ = `query($uuid: UUID!) { comment(uuid: $uuid) { uuid status body } }`;

// An edit and a deletion of one comment take the same lock: a deleted comment never gets a body back.
describe.each(backends)('comment edit racing its deletion on %s', (name, open) => {
  let w: World;
  beforeAll(async () => {
    w = await openWorld(open);
  });
  afterAll(() => w.backend.close());

  const newComment = async () => {
    const created = await run(w, CREATE_COMMENT, { input: { resourceType: 'post', resourceUuid: randomUUID(), body: 'original' } }, w.alice);
    return created.data.createComment.data.uuid as string;
  };

  test('an edit that read the comment before a deletion committed does not give the deleted comment a body', async () => {
    const uuid = await newComment();
    let results: unknown[] = [];
    if (name === 'postgres') {
      // order the two deterministically: hold the comment's row so the deletion queues first, then the edit
      let both!: Promise<unknown[]>;
      await w.db.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT uuid FROM phoenix_kit_comments WHERE uuid = ${uuid}::uuid FOR UPDATE`;
          const deletion = run(w, DELETE, { input: { uuid } }, w.alice);
          await untilSomeoneWaitsForALock(w.backend, 1);
          const edit = run(w, UPDATE, { input: { uuid, body: 'edited, should be gone' } }, w.alice);
          await untilSomeoneWaitsForALock(w.backend, 2);
          both = Promise.all([deletion, edit]);
        },
        { timeout: 30_000 },
      );
      results = await both;
    } else {
      // PGlite runs one transaction at a time: the edit's write waits for the deletion's transaction
      results = await Promise.all([run(w, DELETE, { input: { uuid } }, w.alice), run(w, UPDATE, { input: { uuid, body: 'edited, should be gone' } }, w.alice)]);
    }
    const seen = await run(w, READ, { uuid }, w.bob);
    expect(seen.data.comment, JSON.stringify(results)).toMatchObject({ status: 'deleted', body: '' });
  });
});
