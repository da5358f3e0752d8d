import { describe, expect, test } from 'vitest';
import {
  attachmentMaxBytes,
  captionIssue,
  commentReadable,
  commentRefusal,
  positionIssue,
  positiveIntSetting,
  resourceTypeIssue,
  type CommentLimits,
} from './comment-rules.js';

const limits: CommentLimits = { maxDepth: 3, maxLength: 10, attachmentsEnabled: true, maxAttachments: 4, maxAttachmentBytes: 1 };

describe('commentRefusal', () => {
  test.each<[string, { body: string; parentDepth: number | null; attachmentCount: number }, Partial<CommentLimits>, unknown]>([
    ['top-level comment', { body: 'hi', parentDepth: null, attachmentCount: 0 }, {}, null],
    ['reply at the deepest allowed level', { body: 'hi', parentDepth: 1, attachmentCount: 0 }, {}, null],
    ['reply one level too deep', { body: 'hi', parentDepth: 2, attachmentCount: 0 }, {}, { kind: 'invalid', issue: { path: 'parentId' } }],
    ['max depth 1 allows only top-level', { body: 'hi', parentDepth: 0, attachmentCount: 0 }, { maxDepth: 1 }, { kind: 'invalid', issue: { path: 'parentId' } }],
    ['10 characters fit', { body: '0123456789', parentDepth: null, attachmentCount: 0 }, {}, null],
    ['11 characters are too long', { body: '0123456789a', parentDepth: null, attachmentCount: 0 }, {}, { kind: 'invalid', issue: { path: 'body' } }],
    ['length counts code points', { body: '😀'.repeat(10), parentDepth: null, attachmentCount: 0 }, {}, null],
    ['blank without files', { body: '  ', parentDepth: null, attachmentCount: 0 }, {}, { kind: 'invalid', issue: { path: 'body', message: 'is required' } }],
    ['blank with a file', { body: '', parentDepth: null, attachmentCount: 1 }, {}, null],
    ['attachments switched off', { body: 'hi', parentDepth: null, attachmentCount: 1 }, { attachmentsEnabled: false }, { kind: 'attachments_disabled' }],
    ['attachments off win over a blank body', { body: '', parentDepth: null, attachmentCount: 1 }, { attachmentsEnabled: false }, { kind: 'attachments_disabled' }],
    ['four attachments', { body: 'hi', parentDepth: null, attachmentCount: 4 }, {}, null],
    ['five attachments', { body: 'hi', parentDepth: null, attachmentCount: 5 }, {}, { kind: 'too_many_attachments' }],
    ['depth is checked before length', { body: 'x'.repeat(20), parentDepth: 5, attachmentCount: 9 }, {}, { kind: 'invalid', issue: { path: 'parentId' } }],
    ['length is checked before the count', { body: 'x'.repeat(20), parentDepth: null, attachmentCount: 9 }, {}, { kind: 'invalid', issue: { path: 'body' } }],
    ['NUL in the body', { body: 'a\u0000', parentDepth: null, attachmentCount: 0 }, {}, { kind: 'invalid', issue: { path: 'body' } }],
  ])('%s', (_name, input, overrides, expected) => {
    const result = commentRefusal(input, { ...limits, ...overrides });
    if (expected === null) expect(result).toBeNull();
    else expect(result).toMatchObject(expected as object);
  });
});

describe('attachment rules', () => {
  test.each([
    [20, 500, 20 * 1024 * 1024],
    [20, 5, 5 * 1024 * 1024],
  ])('cap of %i MB under a platform cap of %i MB is %i bytes', (comment, storage, bytes) => {
    expect(attachmentMaxBytes(comment, storage)).toBe(bytes);
  });

  test.each<[number, number, boolean]>([
    [1, 4, true],
    [4, 4, true],
    [0, 4, false],
    [5, 4, false],
    [1.5, 4, false],
  ])('position %d with a cap of %d: valid %s', (position, max, valid) => {
    expect(positionIssue(position, max) === null).toBe(valid);
  });

  test('captions are at most 500 characters', () => {
    expect(captionIssue(null)).toBeNull();
    expect(captionIssue('x'.repeat(500))).toBeNull();
    expect(captionIssue('x'.repeat(501))).toMatchObject({ path: 'caption' });
  });

  test.each([
    ['20', 4, 20],
    ['0', 4, 4],
    ['-3', 4, 4],
    ['lots', 4, 4],
    [null, 10, 10],
  ])('positiveIntSetting(%j, %i) = %i', (value, fallback, expected) => expect(positiveIntSetting(value, fallback)).toBe(expected));

  test.each([
    ['post', true],
    ['entity_data', true],
    ['Post', false],
    ['', false],
    ['a'.repeat(51), false],
  ])('resource type %j valid: %s', (type, valid) => expect(resourceTypeIssue(type) === null).toBe(valid));
});

describe('commentReadable', () => {
  const alice = { uuid: 'a', isAdmin: false };
  const admin = { uuid: 'z', isAdmin: true };
  test.each([
    ['published, to anyone signed in', alice, 'published', 'b', true],
    ['published, to an anonymous reader', null, 'published', 'b', true],
    ['deleted (body cleared), to anyone', alice, 'deleted', 'b', true],
    ["another user's pending comment", alice, 'pending', 'b', false],
    ["another user's hidden comment", alice, 'hidden', 'b', false],
    ['my own pending comment', alice, 'pending', 'a', true],
    ['my own hidden comment', alice, 'hidden', 'a', true],
    ['a hidden comment, anonymous', null, 'hidden', null, false],
    ['a hidden comment of a deleted account', alice, 'hidden', null, false],
    ['a hidden comment, to an admin', admin, 'hidden', 'b', true],
    ['a pending comment, to an admin', admin, 'pending', 'b', true],
  ] as const)('%s → %s', (_name, reader, status, userUuid, readable) => {
    expect(commentReadable(reader, { status, userUuid })).toBe(readable);
  });
});
