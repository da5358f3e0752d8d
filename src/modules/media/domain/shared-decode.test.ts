import { describe, expect, test } from 'vitest';
import { DEFAULT_DIMENSIONS } from '../../dimensions/domain/default-dimensions.js';
import { planVariants, type Box } from './plan-variants.js';
import { sharedDecodeSize } from './shared-decode.js';

const box = (width: number, height: number): Box => ({ width, height });

describe('sharedDecodeSize: one decode for every variant of a file', () => {
  test.each<[string, Box, Box[], number | undefined, Box | null]>([
    ['the largest variant decides (fit inside the width)', box(4000, 3000), [box(150, 113), box(1920, 1440)], undefined, box(1920, 1440)],
    ['a rounded-up height: both sides scaled alike, still holding every variant', box(4000, 3001), [box(150, 113), box(1920, 1441)], undefined, box(1921, 1441)],
    ['a cover crop needs the taller side', box(4000, 3000), [box(150, 113), box(400, 400)], undefined, box(534, 400)],
    ['never enlarged: a variant larger than the source gets the source size', box(800, 600), [box(150, 113), box(1000, 1000)], undefined, box(800, 600)],
    ['one variant alone decodes by itself', box(4000, 3000), [box(1920, 1440)], undefined, null],
    ['no variants', box(4000, 3000), [], undefined, null],
    ['over the memory bound: every variant decodes by itself', box(16000, 12000), [box(150, 113), box(8000, 6000)], undefined, null],
    ['a custom bound', box(4000, 3000), [box(150, 113), box(1920, 1440)], 1_000_000, null],
    ['an empty source', box(0, 0), [box(150, 113), box(300, 225)], undefined, null],
  ])('%s', (_, source, resizes, max, expected) => {
    expect(sharedDecodeSize(source, resizes, max)).toEqual(expected);
  });

  test.each([
    [4000, 3000],
    [3000, 4000],
    [6000, 4000],
    [1000, 700],
    [333, 5000],
  ])('every default variant of a %i×%i image can be scaled down from the shared picture', (width, height) => {
    const plans = planVariants({ kind: 'image', width, height, format: 'jpg' }, DEFAULT_DIMENSIONS);
    const size = sharedDecodeSize({ width, height }, plans.map((p) => p.resize))!;
    expect(size).not.toBeNull();
    expect(size.width).toBeLessThanOrEqual(width);
    expect(size.height).toBeLessThanOrEqual(height);
    for (const plan of plans) {
      expect(size.width).toBeGreaterThanOrEqual(Math.min(plan.resize.width, width));
      expect(size.height).toBeGreaterThanOrEqual(Math.min(plan.resize.height, height));
    }
  });
});
