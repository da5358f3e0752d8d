import { describe, expect, test } from 'vitest';
import { createSettingCache } from './setting-cache.js';

function setup(ttlMs = 1000, maxEntries?: number) {
  let clock = 0;
  const cache = createSettingCache<string>({ ttlMs, now: () => clock, maxEntries });
  return { cache, advance: (ms: number) => (clock += ms) };
}

describe('createSettingCache', () => {
  test('a filled key is a hit, an unknown key a miss', () => {
    const { cache } = setup();
    cache.fill('a', 'x', cache.begin());
    expect(cache.get('a')).toEqual({ row: 'x' });
    expect(cache.get('b')).toBeUndefined();
  });

  test('absent rows are cached as null', () => {
    const { cache } = setup();
    cache.fill('a', null, cache.begin());
    expect(cache.get('a')).toEqual({ row: null });
  });

  test('entries expire after the TTL', () => {
    const { cache, advance } = setup(1000);
    cache.fill('a', 'x', cache.begin());
    advance(999);
    expect(cache.get('a')).toEqual({ row: 'x' });
    advance(1);
    expect(cache.get('a')).toBeUndefined();
  });

  test.each([
    ['invalidate', (c: ReturnType<typeof setup>['cache']) => c.invalidate('a')],
    ['invalidate of another key', (c: ReturnType<typeof setup>['cache']) => c.invalidate('other')],
    ['clear', (c: ReturnType<typeof setup>['cache']) => c.clear()],
  ])('a read that started before %s does not fill', (_name, invalidate) => {
    const { cache } = setup();
    const started = cache.begin();
    invalidate(cache);
    cache.fill('a', 'stale', started);
    expect(cache.get('a')).toBeUndefined();
    cache.fill('a', 'fresh', cache.begin());
    expect(cache.get('a')).toEqual({ row: 'fresh' });
  });

  test('invalidate drops one key, clear drops all', () => {
    const { cache } = setup();
    cache.fill('a', 'x', cache.begin());
    cache.fill('b', 'y', cache.begin());
    cache.invalidate('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual({ row: 'y' });
    cache.clear();
    expect(cache.get('b')).toBeUndefined();
  });

  test('a full cache drops its expired entries first, then its oldest; it never holds more than its bound', () => {
    const { cache, advance } = setup(1000, 3);
    cache.fill('old', 'x', cache.begin());
    advance(600);
    cache.fill('a', 'x', cache.begin());
    cache.fill('b', 'x', cache.begin());
    advance(500); // 'old' has expired, 'a' and 'b' have not
    cache.fill('c', 'x', cache.begin());
    expect(['old', 'a', 'b', 'c'].map((k) => cache.get(k) !== undefined)).toEqual([false, true, true, true]);
    cache.fill('d', 'x', cache.begin()); // none expired: the oldest ('a') goes
    expect(['a', 'b', 'c', 'd'].map((k) => cache.get(k) !== undefined)).toEqual([false, true, true, true]);
    cache.fill('b', 'y', cache.begin()); // refilled: now the newest
    cache.fill('e', 'x', cache.begin());
    expect(['b', 'c', 'd', 'e'].map((k) => cache.get(k) !== undefined)).toEqual([true, false, true, true]);
    for (let i = 0; i < 100; i++) cache.fill(`k${i}`, null, cache.begin());
    expect(cache.size).toBe(3);
  });
});
