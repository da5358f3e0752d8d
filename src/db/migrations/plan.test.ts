import { describe, expect, test } from 'vitest';
import { InvalidTargetVersionError, movedAgainst, planDown, planUp } from './plan.js';

const versions = (steps: { version: number }[]) => steps.map((s) => s.version);

describe('planUp', () => {
  test.each([
    ['fresh install to latest', 0, 29, [...Array(29).keys()].map((i) => i + 1)],
    ['fresh install to a middle version', 0, 3, [1, 2, 3]],
    ['incremental', 26, 29, [27, 28, 29]],
    ['already there', 29, 29, []],
    ['above target is a no-op', 20, 7, []],
  ])('%s', (_name, current, target, expected) => {
    expect(versions(planUp(current, target, 29))).toEqual(expected);
    expect(planUp(current, target, 29).every((s) => s.direction === 'up')).toBe(true);
  });

  test.each([[-1], [30], [1.5], [Number.NaN]])('refuses target %s', (target) => {
    expect(() => planUp(0, target, 29)).toThrow(InvalidTargetVersionError);
  });
});

describe('planDown', () => {
  test.each([
    ['full teardown', 3, 0, [3, 2, 1]],
    ['one step', 29, 28, [29]],
    ['to a middle version', 29, 26, [29, 28, 27]],
    ['already there', 5, 5, []],
    ['below target is a no-op', 5, 9, []],
  ])('%s', (_name, current, target, expected) => {
    expect(versions(planDown(current, target, 29))).toEqual(expected);
    expect(planDown(current, target, 29).every((s) => s.direction === 'down')).toBe(true);
  });

  test.each([[-1], [30], [2.5]])('refuses target %s', (target) => {
    expect(() => planDown(29, target, 29)).toThrow(InvalidTargetVersionError);
  });
});

describe('movedAgainst', () => {
  test.each<['up' | 'down', number | null, number, boolean]>([
    ['up', null, 3, false],
    ['up', 5, 5, false],
    ['up', 5, 7, false],
    ['up', 5, 4, true],
    ['down', null, 9, false],
    ['down', 5, 5, false],
    ['down', 5, 3, false],
    ['down', 5, 6, true],
  ])('%s, left at %s, now %s: %s', (direction, left, now, expected) => {
    expect(movedAgainst(direction, left, now)).toBe(expected);
  });
});
