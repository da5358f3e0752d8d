import { describe, expect, test } from 'vitest';
import { RATE_LIMITS, retryAfterSeconds } from './policies.js';

describe('retryAfterSeconds', () => {
  const start = new Date('2026-01-01T00:00:00.000Z');
  const at = (ms: number) => new Date(start.getTime() + ms);
  test.each([
    ['at the window start', 0, 300],
    ['a fraction of a second in: rounded up', 500, 300],
    ['one second in', 1_000, 299],
    ['in the last second', 299_500, 1],
    ['at the window end', 300_000, 1],
    ['after the window', 900_000, 1],
    ['now a moment before the window opened (a transaction begun first)', -400, 300],
    ['now well before the window opened', -5_000, 300],
  ])('%s', (_name, offsetMs, expected) => {
    expect(retryAfterSeconds(start, 300, at(offsetMs))).toBe(expected);
  });
});

describe('RATE_LIMITS', () => {
  test('every policy has a unique name, a positive limit and a window', () => {
    const policies = Object.values(RATE_LIMITS);
    expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length);
    for (const p of policies) {
      expect(Number.isInteger(p.limit) && p.limit > 0).toBe(true);
      expect(Number.isInteger(p.windowSeconds) && p.windowSeconds > 0).toBe(true);
    }
  });
});
