import { describe, expect, test } from 'vitest';
import { mapLimit } from './map-limit.js';

describe('mapLimit', () => {
  test.each([
    [0, 3],
    [1, 3],
    [5, 1],
    [7, 3],
    [3, 10],
  ])('%i items, at most %i at once: every result in order, never more running', async (count, limit) => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: count }, (_, i) => i);
    const results = await mapLimit(items, limit, async (i) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, (count - i) % 3));
      running--;
      return i * 2;
    });
    expect(results).toEqual(items.map((i) => i * 2));
    expect(most).toBeLessThanOrEqual(limit);
    if (count > 0) expect(most).toBe(Math.min(limit, count));
  });
});
