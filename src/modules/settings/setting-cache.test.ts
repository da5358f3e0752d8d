import { describe, expect, test } from 'vitest';
import { createSettingCache } from './setting-cache.js';

function setup(ttlMs = 1000) {
  let clock = 0;
  const cache = createSettingCache<string>({ ttlMs, now: () => clock });
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
});
