import { describe, expect, test } from 'vitest';
import { DEFAULT_DIMENSIONS, type DimensionValues } from './default-dimensions.js';
import { validateDimension, type DimensionInput } from './validate-dimension.js';

const image: DimensionInput = { name: 'hero', appliesTo: 'image', width: 1200, height: 600, quality: 80, format: 'jpg' };
const stored: DimensionValues = { ...DEFAULT_DIMENSIONS[0]! };
const storedVideo: DimensionValues = { ...DEFAULT_DIMENSIONS[4]! };

/** Paths of the issues found: [] means valid. */
describe('validateDimension', () => {
  test.each<[string, DimensionInput, DimensionValues | null, string[]]>([
    ['a complete image dimension', image, null, []],
    ['only the required fields', { name: 'x', appliesTo: 'image', width: 10 }, null, []],
    ['missing name, applies_to and width', {}, null, ['name', 'appliesTo', 'width']],
    ['upper-case name', { ...image, name: 'Hero' }, null, ['name']],
    ['name with a dash', { ...image, name: 'hero-1' }, null, ['name']],
    ['name of 50 characters', { ...image, name: 'a'.repeat(50) }, null, []],
    ['name of 51 characters', { ...image, name: 'a'.repeat(51) }, null, ['name']],
    ['the name "original"', { ...image, name: 'original' }, null, ['name']],
    ['a name like an alternative variant', { ...image, name: 'hero_webp' }, null, ['name']],
    ['unknown applies_to', { ...image, appliesTo: 'audio' }, null, ['appliesTo']],
    ['zero width', { ...image, width: 0 }, null, ['width']],
    ['fractional width', { ...image, width: 10.5 }, null, ['width']],
    ['huge width', { ...image, width: 20_000 }, null, ['width']],
    ['negative height', { ...image, height: -1 }, null, ['height']],
    ['no height while keeping the ratio', { ...image, height: null }, null, []],
    ['no height for a crop', { ...image, height: null, maintainAspectRatio: false }, null, ['height']],
    ['negative order', { ...image, order: -1 }, null, ['order']],
    ['image quality 0', { ...image, quality: 0 }, null, ['quality']],
    ['image quality 101', { ...image, quality: 101 }, null, ['quality']],
    ['image quality 1 and 100', { ...image, quality: 100 }, null, []],
    ['video CRF 51', { name: 'v', appliesTo: 'video', width: 640, height: 360, quality: 51, format: 'mp4' }, null, []],
    ['video CRF 52', { name: 'v', appliesTo: 'video', width: 640, height: 360, quality: 52, format: 'mp4' }, null, ['quality']],
    ['video CRF 0', { name: 'v', appliesTo: 'video', width: 640, quality: 0, format: 'webm' }, null, []],
    ['a video frame (jpg) has an image quality', { name: 'poster', appliesTo: 'video', width: 640, quality: 85, format: 'jpg' }, null, []],
    ['a video frame with quality 0', { name: 'poster', appliesTo: 'video', width: 640, quality: 0, format: 'png' }, null, ['quality']],
    ['a video without quality gets CRF 28', { name: 'v', appliesTo: 'video', width: 640, format: 'mp4' }, null, []],
    ['both: quality 1–100', { ...image, appliesTo: 'both', quality: 90, format: 'mp4' }, null, []],
    ['image format mp4', { ...image, format: 'mp4' }, null, ['format']],
    ['video format gif', { name: 'v', appliesTo: 'video', width: 640, format: 'gif', quality: 30 }, null, ['format']],
    ['image format avif is only an alternative', { ...image, format: 'avif' }, null, ['format']],
    ['format in capitals is accepted', { ...image, format: 'PNG' }, null, []],
    ['alternatives', { ...image, alternativeFormats: ['webp', 'avif'] }, null, []],
    ['empty alternatives are dropped', { ...image, alternativeFormats: ['', ' ', 'webp'] }, null, []],
    ['unknown alternative', { ...image, alternativeFormats: ['bmp'] }, null, ['alternativeFormats']],
    ['repeated alternative', { ...image, alternativeFormats: ['webp', 'webp'] }, null, ['alternativeFormats']],
    ['jpeg and jpg are one format', { ...image, format: 'png', alternativeFormats: ['jpg', 'jpeg'] }, null, ['alternativeFormats']],
    ['alternative equal to the primary', { ...image, format: 'jpeg', alternativeFormats: ['jpg'] }, null, ['alternativeFormats']],
    ['alternatives on a video dimension', { name: 'v', appliesTo: 'video', width: 640, format: 'mp4', alternativeFormats: ['webp'] }, null, ['alternativeFormats']],
    ['update: only the quality', { quality: 70 }, stored, []],
    ['update: crop needs the stored height', { maintainAspectRatio: false }, stored, []],
    ['update: clearing the height of a crop', { maintainAspectRatio: false, height: null }, stored, ['height']],
    ['update: an image quality on a video dimension', { quality: 85 }, storedVideo, ['quality']],
    ['update: to a frame format, the CRF is no image quality', { format: 'jpg', quality: 0 }, storedVideo, ['quality']],
    ['update: a bad name', { name: 'Bad Name' }, stored, ['name']],
  ])('%s', (_name, input, existing, paths) => {
    expect(validateDimension(input, existing).issues.map((i) => i.path)).toEqual(paths);
  });

  test('values: defaults on create, merge on update', () => {
    expect(validateDimension({ name: 'x', appliesTo: 'image', width: 10, alternativeFormats: [' WebP ', ''] }, null).values).toEqual({
      name: 'x',
      appliesTo: 'image',
      width: 10,
      height: null,
      quality: 85,
      format: null,
      enabled: true,
      order: 0,
      maintainAspectRatio: true,
      alternativeFormats: ['webp'],
    });
    expect(validateDimension({ name: 'v', appliesTo: 'video', width: 640 }, null).values.quality).toBe(28);
    expect(validateDimension({ width: 200, format: '' }, stored).values).toEqual({ ...stored, width: 200, format: null });
  });

  test('the 8 defaults are valid', () => {
    expect(DEFAULT_DIMENSIONS.map((d) => d.name)).toEqual(['thumbnail', 'small', 'medium', 'large', '360p', '720p', '1080p', 'video_thumbnail']);
    for (const d of DEFAULT_DIMENSIONS) expect(validateDimension(d, null).issues).toEqual([]);
  });
});
