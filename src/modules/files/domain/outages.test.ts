import { describe, expect, test } from 'vitest';
import { OUTAGE_HOLD_MS, outagesLast } from './outages.js';

const copies = (...buckets: string[]) => buckets.map((bucketUuid, i) => ({ bucketUuid, n: i }));
const NOW = 1_000_000;

describe('outagesLast', () => {
  test.each<[string, string[], Record<string, number>, string[]]>([
    ['no copies', [], { a: NOW }, []],
    ['no failure', ['a', 'b', 'c'], {}, ['a', 'b', 'c']],
    ['the first bucket failed just now', ['a', 'b', 'c'], { a: NOW }, ['b', 'c', 'a']],
    ['the first failed within the hold', ['a', 'b'], { a: NOW - OUTAGE_HOLD_MS + 1 }, ['b', 'a']],
    ['the first failed exactly one hold ago', ['a', 'b'], { a: NOW - OUTAGE_HOLD_MS }, ['a', 'b']],
    ['the first failed long ago', ['a', 'b'], { a: NOW - 10 * OUTAGE_HOLD_MS }, ['a', 'b']],
    ['two failed: they keep their order, after the others', ['a', 'b', 'c', 'd'], { a: NOW, c: NOW - 5 }, ['b', 'd', 'a', 'c']],
    ['every bucket failed: the order is kept', ['a', 'b'], { a: NOW, b: NOW }, ['a', 'b']],
    ['a failure of a bucket holding no copy changes nothing', ['a', 'b'], { z: NOW }, ['a', 'b']],
    ['two copies in one failed bucket both move', ['a', 'b', 'a'], { a: NOW }, ['b', 'a', 'a']],
  ])('%s', (_label, buckets, failed, expected) => {
    expect(outagesLast(copies(...buckets), new Map(Object.entries(failed)), NOW).map((c) => c.bucketUuid)).toEqual(expected);
  });

  test('the copies themselves are returned, in a new array', () => {
    const list = copies('a', 'b');
    const ordered = outagesLast(list, new Map([['a', NOW]]), NOW);
    expect(ordered).not.toBe(list);
    expect(ordered[1]).toBe(list[0]);
  });
});
