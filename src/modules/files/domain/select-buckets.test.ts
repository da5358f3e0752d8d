import { describe, expect, test } from 'vitest';
import { clampCopies, freeBytes, selectBuckets, type BucketCandidate } from './select-buckets.js';

const MiB = 1024 * 1024;

const bucket = (uuid: string, o: Partial<BucketCandidate> = {}): BucketCandidate => ({
  uuid,
  enabled: true,
  priority: 0,
  maxSizeMb: null,
  usedBytes: 0,
  ...o,
});

/** A deterministic "random" that replays the given values (then 0). */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++] ?? 0;
};

const pick = (buckets: BucketCandidate[], fileSize: number, copies: number | string, random = sequence()) => {
  const result = selectBuckets(buckets, { fileSize, copies, random });
  return result.kind === 'selected' ? result.buckets.map((b) => b.uuid) : result.reason;
};

describe('selectBuckets', () => {
  test.each<[string, BucketCandidate[], number, number | string, string[] | string]>([
    ['no buckets at all', [], 1, 1, 'no-enabled-bucket'],
    ['only disabled buckets', [bucket('a', { enabled: false })], 1, 1, 'no-enabled-bucket'],
    ['disabled buckets are never chosen', [bucket('a', { enabled: false, priority: 1 }), bucket('b')], 1, 2, ['b']],
    ['fixed priorities first, ascending', [bucket('p0'), bucket('p5', { priority: 5 }), bucket('p1', { priority: 1 })], 1, 3, ['p1', 'p5', 'p0']],
    ['fixed priority beats a far emptier auto bucket', [bucket('auto'), bucket('fixed', { priority: 9, maxSizeMb: 1 })], 1, 1, ['fixed']],
    [
      'priority-0 buckets emptiest first',
      [
        bucket('half', { maxSizeMb: 100, usedBytes: 50 * MiB }),
        bucket('empty', { maxSizeMb: 100 }),
        bucket('most', { maxSizeMb: 100, usedBytes: 90 * MiB }),
      ],
      1,
      3,
      ['empty', 'half', 'most'],
    ],
    ['free space is absolute, not a ratio', [bucket('small', { maxSizeMb: 10 }), bucket('big', { maxSizeMb: 1000, usedBytes: 900 * MiB })], 1, 2, ['big', 'small']],
    ['no limit counts as unbounded', [bucket('limited', { maxSizeMb: 1_000_000 }), bucket('unlimited', { usedBytes: 10 ** 15 })], 1, 2, ['unlimited', 'limited']],
    ['a bucket the file would overflow is skipped', [bucket('tight', { priority: 1, maxSizeMb: 1, usedBytes: MiB - 10 }), bucket('roomy')], 11, 2, ['roomy']],
    ['exactly filling a bucket is allowed', [bucket('tight', { priority: 1, maxSizeMb: 1, usedBytes: MiB - 10 })], 10, 1, ['tight']],
    ['an over-full bucket (negative free) is skipped', [bucket('over', { maxSizeMb: 1, usedBytes: 2 * MiB }), bucket('ok', { maxSizeMb: 5 })], 0, 2, ['ok']],
    ['every enabled bucket full', [bucket('a', { maxSizeMb: 1, usedBytes: MiB }), bucket('b', { maxSizeMb: 1 })], MiB + 1, 1, 'no-capacity'],
    ['fewer buckets than copies: shorter list', [bucket('a'), bucket('b', { priority: 2 })], 1, 5, ['b', 'a']],
    ['copies taken from the top', [bucket('a', { priority: 1 }), bucket('b', { priority: 2 }), bucket('c')], 1, 2, ['a', 'b']],
    ['copies clamped to 5', Array.from({ length: 7 }, (_, i) => bucket(`b${i}`, { priority: i + 1 })), 1, 9, ['b0', 'b1', 'b2', 'b3', 'b4']],
    ['copies clamped to 1', [bucket('a', { priority: 1 }), bucket('b', { priority: 2 })], 1, 0, ['a']],
    ['copies from a setting string', [bucket('a', { priority: 1 }), bucket('b', { priority: 2 })], 1, '2', ['a', 'b']],
    ['unreadable copies setting means 1', [bucket('a', { priority: 1 }), bucket('b', { priority: 2 })], 1, 'many', ['a']],
  ])('%s', (_name, buckets, size, copies, expected) => {
    expect(pick(buckets, size, copies)).toEqual(expected);
  });

  test('equal priority-0 buckets come in random order, decided by the injected random', () => {
    const buckets = [bucket('a'), bucket('b'), bucket('c')];
    // Fisher–Yates from the end: i=2 takes j=floor(r*3), i=1 takes j=floor(r*2)
    expect(pick(buckets, 1, 3, sequence(0.99, 0.99))).toEqual(['a', 'b', 'c']);
    expect(pick(buckets, 1, 3, sequence(0, 0))).toEqual(['b', 'c', 'a']);
    expect(pick(buckets, 1, 3, sequence(0.5, 0))).toEqual(['c', 'a', 'b']);
  });

  test('random order only among equals: an emptier bucket still comes first', () => {
    const buckets = [bucket('a', { maxSizeMb: 10 }), bucket('b', { maxSizeMb: 10 }), bucket('roomy', { maxSizeMb: 20 })];
    for (const r of [0, 0.3, 0.6, 0.99]) {
      expect(pick(buckets, 1, 3, () => r)[0]).toBe('roomy');
    }
  });

  test('every tie order is reachable with Math.random', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500 && seen.size < 6; i++) {
      const result = selectBuckets([bucket('a'), bucket('b'), bucket('c')], { fileSize: 1, copies: 3 });
      if (result.kind === 'selected') seen.add(result.buckets.map((b) => b.uuid).join(''));
    }
    expect(seen.size).toBe(6);
  });

  test('returns the caller’s own objects and how many were asked for', () => {
    const rows = [{ ...bucket('a'), name: 'Local' }];
    const result = selectBuckets(rows, { fileSize: 1, copies: 3 });
    expect(result).toEqual({ kind: 'selected', buckets: [rows[0]], requested: 3 });
    if (result.kind === 'selected') expect(result.buckets[0]!.name).toBe('Local');
  });
});

describe('clampCopies', () => {
  test.each<[number | string | null | undefined, number]>([
    [1, 1], [3, 3], [5, 5], [6, 5], [0, 1], [-2, 1], [2.9, 2], ['4', 4], ['', 1], ['x', 1], [null, 1], [undefined, 1],
    [Number.NaN, 1], [Number.POSITIVE_INFINITY, 1],
  ])('%j → %d', (value, expected) => {
    expect(clampCopies(value)).toBe(expected);
  });
});

describe('freeBytes', () => {
  test.each<[BucketCandidate, number]>([
    [bucket('a', { maxSizeMb: 1, usedBytes: 100 }), MiB - 100],
    [bucket('a', { maxSizeMb: null, usedBytes: 100 }), Number.POSITIVE_INFINITY],
    [bucket('a', { maxSizeMb: 1, usedBytes: 2 * MiB }), -MiB],
  ])('%j → %d', (b, expected) => {
    expect(freeBytes(b)).toBe(expected);
  });
});
