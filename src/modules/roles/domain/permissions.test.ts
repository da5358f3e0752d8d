import { describe, expect, test } from 'vitest';
import {
  diffPermissions,
  effectivePermissions,
  keyWithBases,
  normalizePermissionKeys,
  permissionKeyProblem,
} from './permissions.js';

const many = (n: number) => Array.from({ length: n }, (_, i) => `key_${i}`);

describe('permissionKeyProblem', () => {
  test.each([
    ['users', null],
    ['posts.publish', null],
    ['a1_b.c_2.d', null],
    ['*', null],
    ['', 'is empty'],
    ['Users', 'pattern'],
    ['users.', 'pattern'],
    ['.users', 'pattern'],
    ['a..b', 'pattern'],
    ['a-b', 'pattern'],
    ['1abc', 'pattern'],
    [' users', 'pattern'],
    ['ü', 'pattern'],
    ['users.*', 'pattern'],
    ['**', 'pattern'],
    [`a${'b'.repeat(49)}`, null],
    [`a${'b'.repeat(50)}`, 'part'],
    [`${'a'.repeat(50)}.${'b'.repeat(50)}`, null],
    [`${'a'.repeat(40)}.${'b'.repeat(40)}.${'c'.repeat(38)}`, null],
    [`${'a'.repeat(40)}.${'b'.repeat(40)}.${'c'.repeat(39)}`, 'at most 120'],
  ])('%j → %s', (key, expected) => {
    const problem = permissionKeyProblem(key);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toContain(expected === 'pattern' ? 'lower-case segments' : expected === 'part' ? 'dotted part' : expected);
  });
});

describe('normalizePermissionKeys', () => {
  test.each<[string, string[], string[] | RegExp]>([
    ['empty list stays empty', [], []],
    ['sorts and dedupes', ['users', 'media', 'users'], ['media', 'users']],
    ['adds bases of sub-keys', ['posts.publish.schedule'], ['posts', 'posts.publish', 'posts.publish.schedule']],
    ['wildcard alone wins', ['users', '*', 'media'], ['*']],
    ['exactly 50 keys', many(50), many(50).sort()],
    ['51 keys refused', many(51), /at most 50 keys/],
    ['50 sub-keys exceed the limit once bases are counted', [...many(49), 'x.y'], /got 51/],
  ])('%s', (_name, input, expected) => {
    const result = normalizePermissionKeys(input);
    if (expected instanceof RegExp) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues[0]?.message).toMatch(expected);
    } else {
      expect(result).toEqual({ ok: true, keys: expected });
    }
  });

  test('names every bad key by its index', () => {
    expect(normalizePermissionKeys(['users', 'Bad', '', 'ok'])).toEqual({
      ok: false,
      issues: [
        { path: 'permissions.1', message: expect.stringContaining('lower-case') },
        { path: 'permissions.2', message: 'is empty' },
      ],
    });
  });
});

describe('effectivePermissions', () => {
  test.each<[string, Array<{ name: string; permissions: string[] }>, string[]]>([
    ['no roles: nothing', [], []],
    ['Owner: everything, whatever its rows say', [{ name: 'Owner', permissions: [] }], ['*']],
    ['Owner beside other roles still everything', [{ name: 'User', permissions: ['media'] }, { name: 'Owner', permissions: [] }], ['*']],
    ['Admin: its rows only', [{ name: 'Admin', permissions: ['users', 'media'] }], ['users', 'media']],
    ['Admin with no rows: nothing', [{ name: 'Admin', permissions: [] }], []],
    ['union of roles', [{ name: 'A', permissions: ['users'] }, { name: 'B', permissions: ['media', 'users'] }], ['users', 'media']],
    ['sub-key implies its bases', [{ name: 'A', permissions: ['posts.publish'] }], ['posts', 'posts.publish']],
    ['wildcard row kept', [{ name: 'Super', permissions: ['*'] }], ['*']],
  ])('%s', (_name, roles, expected) => {
    expect([...effectivePermissions(roles)].sort()).toEqual([...expected].sort());
  });
});

test.each<[string, string[]]>([
  ['users', ['users']],
  ['a.b.c', ['a', 'a.b', 'a.b.c']],
  ['*', ['*']],
])('keyWithBases(%s)', (key, expected) => expect(keyWithBases(key)).toEqual(expected));

test.each<[string[], string[], { added: string[]; removed: string[] }]>([
  [[], ['a'], { added: ['a'], removed: [] }],
  [['a', 'b'], ['b', 'c'], { added: ['c'], removed: ['a'] }],
  [['a'], ['a'], { added: [], removed: [] }],
])('diffPermissions(%j, %j)', (before, after, expected) => expect(diffPermissions(before, after)).toEqual(expected));
