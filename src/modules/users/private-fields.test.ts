import { describe, expect, test } from 'vitest';
import type { Context } from '../../graphql/context.js';
import { selfOrAdmin } from './user.graphql.js';

const viewer = (uuid: string, isAdmin = false) => ({ uuid, isAdmin }) as Context['viewer'];
const ctx = (v: Context['viewer'], now: string[] = []) => ({ viewer: v, authenticatedNow: new Set(now) }) as unknown as Context;

describe('selfOrAdmin (email, custom fields, registration analytics)', () => {
  test.each([
    ['anonymous', ctx(null), false],
    ['another user', ctx(viewer('b')), false],
    ['the user', ctx(viewer('a')), true],
    ['an admin', ctx(viewer('b', true)), true],
    ['the user who just signed in (no viewer yet)', ctx(null, ['a']), true],
    ['someone who signed in as another user', ctx(null, ['b']), false],
  ])('%s → %s', (_name, context, allowed) => {
    expect(selfOrAdmin({ uuid: 'a' }, {}, context)).toBe(allowed);
  });
});
