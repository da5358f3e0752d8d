import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../../helpers/backends.js';
import { CREATE_COMMENT, makeFile, openWorld, run, type World } from '../../helpers/content.js';

const DETACH = `mutation($input: DetachCommentMediaInput!) { detachCommentMedia(input: $input) {
  __typename ... on MutationDetachCommentMediaSuccess { data { uuid body media { uuid } } } ... on Error { code } } }`;
const UPDATE = `mutation($input: UpdateCommentInput!) { updateComment(input: $input) { __typename ... on Error { code } } }`;

// A comment is its text or its files: detaching the last file of a comment without text is refused.
describe.each(backends)('detaching the last file of a file-only comment on %s', (_name, open) => {
  let w: World;
  beforeAll(async () => {
    w = await openWorld(open);
    await w.app.services.settings.update({ key: 'comments_attachments_enabled', value: 'true' });
  });
  afterAll(() => w.backend.close());

  test('does not leave a live comment with neither body nor attachments', async () => {
    const file = await makeFile(w.db, w.alice.uuid);
    const created = await run(w, CREATE_COMMENT, { input: { resourceType: 'post', resourceUuid: randomUUID(), body: '', attachments: [{ fileUuid: file.uuid }] } }, w.alice);
    expect(created.data.createComment.__typename, JSON.stringify(created)).toBe('MutationCreateCommentSuccess');
    const uuid = created.data.createComment.data.uuid as string;
    // the same state is refused when reached by an edit
    const blankEdit = await run(w, UPDATE, { input: { uuid, body: '   ' } }, w.alice);
    expect(blankEdit.data.updateComment.__typename).toBe('MutationUpdateCommentSuccess'); // allowed: a file is attached

    await run(w, DETACH, { input: { commentUuid: uuid, fileUuid: file.uuid } }, w.alice);
    const row = await w.db.comment.findUniqueOrThrow({ where: { uuid }, include: { media: true } });
    const empty = row.status !== 'deleted' && row.body.trim() === '' && row.media.length === 0;
    expect(empty, JSON.stringify({ status: row.status, body: row.body, media: row.media.length })).toBe(false);
  });
});
