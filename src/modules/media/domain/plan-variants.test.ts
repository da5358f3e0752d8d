import { describe, expect, test } from 'vitest';
import { DEFAULT_DIMENSIONS } from '../../dimensions/domain/default-dimensions.js';
import { evenWithin, planVariants, type Preset, type VariantPlan, type VariantSource } from './plan-variants.js';

const defaults: readonly Preset[] = DEFAULT_DIMENSIONS;
const preset = (over: Partial<Preset> & Pick<Preset, 'name'>): Preset => ({
  appliesTo: 'image',
  width: 200,
  height: 200,
  quality: 85,
  format: 'jpg',
  enabled: true,
  order: 10,
  maintainAspectRatio: true,
  alternativeFormats: [],
  ...over,
});

/** `name format WxH` per variant: the whole outcome of a plan at a glance. */
const summary = (plans: VariantPlan[]) =>
  plans.map((p) => `${p.name} ${p.output === 'image' ? p.format : p.container} ${p.width}x${p.height}`);

const image = (width: number, height: number, extra: Partial<VariantSource> = {}): VariantSource => ({
  kind: 'image',
  width,
  height,
  format: 'jpg',
  ...extra,
});
const video = (width: number, height: number): VariantSource => ({ kind: 'video', width, height });

describe('planVariants: which variants, at which size', () => {
  test.each<[string, VariantSource, readonly Preset[], string[]]>([
    [
      'a 12 MP landscape JPEG with the defaults: width fitted, height from the aspect ratio',
      image(4000, 3000),
      defaults,
      ['thumbnail jpg 150x113', 'small jpg 300x225', 'medium jpg 800x600', 'large jpg 1920x1440'],
    ],
    [
      'a small image is never enlarged',
      image(100, 50),
      defaults,
      ['thumbnail jpg 100x50', 'small jpg 100x50', 'medium jpg 100x50', 'large jpg 100x50'],
    ],
    [
      'an EXIF-rotated portrait (displayed 800×1200) is planned on its displayed size',
      image(800, 1200),
      defaults,
      ['thumbnail jpg 150x225', 'small jpg 300x450', 'medium jpg 800x1200', 'large jpg 800x1200'],
    ],
    [
      'a transparent PNG gets WebP where the dimension says JPEG (transparency kept)',
      image(640, 480, { format: 'png', hasAlpha: true }),
      defaults,
      ['thumbnail webp 150x113', 'small webp 300x225', 'medium webp 640x480', 'large webp 640x480'],
    ],
    [
      'no format: the original format when the web knows it, else JPEG',
      image(640, 480, { format: 'png' }),
      [preset({ name: 'a', format: null }), preset({ name: 'b', format: 'webp', order: 11 })],
      ['a png 200x150', 'b webp 200x150'],
    ],
    [
      'no format on a TIFF: JPEG',
      image(640, 480, { format: 'tiff' }),
      [preset({ name: 'a', format: null })],
      ['a jpg 200x150'],
    ],
    [
      'alternative formats follow their dimension, named <name>_<fmt>',
      image(1000, 500),
      [preset({ name: 'thumbnail', width: 150, alternativeFormats: ['webp', 'avif'] })],
      ['thumbnail jpg 150x75', 'thumbnail_webp webp 150x75', 'thumbnail_avif avif 150x75'],
    ],
    [
      'an alternative equal to the primary format or repeated is made once',
      image(1000, 500),
      [preset({ name: 't', width: 150, alternativeFormats: ['jpeg', 'webp', 'webp'] })],
      ['t jpg 150x75', 't_webp webp 150x75'],
    ],
    [
      'disabled dimensions, video dimensions and "original" are left out; "both" applies',
      image(1000, 500),
      [
        preset({ name: 'off', enabled: false }),
        preset({ name: 'clip', appliesTo: 'video', format: 'mp4' }),
        preset({ name: 'original' }),
        preset({ name: 'any', appliesTo: 'both', width: 400 }),
        preset({ name: 'movie', appliesTo: 'both', format: 'mp4' }),
      ],
      ['any jpg 400x200'],
    ],
    [
      'crop (maintain_aspect_ratio false): exactly W×H',
      image(400, 300),
      [preset({ name: 'square', width: 200, height: 200, maintainAspectRatio: false })],
      ['square jpg 200x200'],
    ],
    [
      'crop of a smaller image: still exactly W×H',
      image(100, 50),
      [preset({ name: 'square', width: 200, height: 200, maintainAspectRatio: false })],
      ['square jpg 200x200'],
    ],
    [
      'dimensions come in their order, then by name',
      image(1000, 500),
      [preset({ name: 'b', order: 2 }), preset({ name: 'a', order: 2 }), preset({ name: 'z', order: 1 })],
      ['z jpg 200x100', 'a jpg 200x100', 'b jpg 200x100'],
    ],
    [
      'a PDF page (2 in × 1 in at 150 dpi) with the defaults: JPEG',
      { kind: 'pdf', width: 300, height: 150 },
      defaults,
      ['thumbnail jpg 150x75', 'small jpg 300x150', 'medium jpg 300x150', 'large jpg 300x150'],
    ],
    [
      'a 642×362 video: inside the box, never upscaled, even sizes; the thumbnail fitted too',
      video(642, 362),
      defaults,
      ['360p mp4 638x360', '720p mp4 642x362', '1080p mp4 642x362', 'video_thumbnail jpg 638x360'],
    ],
    [
      'a 1080p video with the defaults',
      video(1920, 1080),
      defaults,
      ['360p mp4 640x360', '720p mp4 1280x720', '1080p mp4 1920x1080', 'video_thumbnail jpg 640x360'],
    ],
    [
      'a portrait video fits the box by its height',
      video(1080, 1920),
      defaults,
      ['360p mp4 202x360', '720p mp4 406x720', '1080p mp4 608x1080', 'video_thumbnail jpg 203x360'],
    ],
    [
      'an odd-sized video is rounded to even sizes without growing',
      video(641, 361),
      defaults,
      ['360p mp4 640x360', '720p mp4 640x360', '1080p mp4 640x360', 'video_thumbnail jpg 639x360'],
    ],
    [
      'a cropped video dimension: the box shape, even sizes',
      video(642, 362),
      [preset({ name: 'sq', appliesTo: 'video', format: 'mp4', width: 300, height: 300, maintainAspectRatio: false, quality: 30 })],
      ['sq mp4 300x300'],
    ],
    [
      'a cropped video dimension larger than the source: the largest such shape inside it',
      video(320, 240),
      [preset({ name: 'wide', appliesTo: 'video', format: 'webm', width: 1280, height: 720, maintainAspectRatio: false })],
      ['wide webm 320x180'],
    ],
    [
      'image dimensions are not applied to videos',
      video(1920, 1080),
      [preset({ name: 'img' }), preset({ name: 'poster', appliesTo: 'both', format: 'webp', width: 480, height: 480 })],
      ['poster webp 480x270'],
    ],
    ['nothing for an empty source', image(0, 0), defaults, []],
  ])('%s', (_name, source, presets, expected) => {
    expect(summary(planVariants(source, presets))).toEqual(expected);
  });
});

describe('planVariants: geometry details', () => {
  const square = preset({ name: 'sq', width: 200, height: 200, maintainAspectRatio: false });

  test.each<[string, VariantSource, { resize: { width: number; height: number }; crop: object | null }]>([
    ['centre crop', image(400, 300), { resize: { width: 267, height: 200 }, crop: { left: 34, top: 0, width: 200, height: 200 } }],
    [
      'focal point at the left edge',
      image(400, 300, { focalPoint: { x: 0, y: 0.5 } }),
      { resize: { width: 267, height: 200 }, crop: { left: 0, top: 0, width: 200, height: 200 } },
    ],
    [
      'focal point at the right edge clamps to the last window',
      image(400, 300, { focalPoint: { x: 1, y: 0.5 } }),
      { resize: { width: 267, height: 200 }, crop: { left: 67, top: 0, width: 200, height: 200 } },
    ],
    [
      'focal point low on a portrait',
      image(300, 600, { focalPoint: { x: 0.5, y: 0.8 } }),
      { resize: { width: 200, height: 400 }, crop: { left: 0, top: 200, width: 200, height: 200 } },
    ],
    [
      'a focal point outside 0..1 is clamped',
      image(300, 600, { focalPoint: { x: 0.5, y: -3 } }),
      { resize: { width: 200, height: 400 }, crop: { left: 0, top: 0, width: 200, height: 200 } },
    ],
    ['enlarging crop', image(100, 50), { resize: { width: 400, height: 200 }, crop: { left: 100, top: 0, width: 200, height: 200 } }],
    ['same shape: a plain resize', image(400, 400), { resize: { width: 200, height: 200 }, crop: null }],
  ])('%s', (_name, source, expected) => {
    const [plan] = planVariants(source, [square]);
    expect({ resize: plan!.resize, crop: plan!.crop }).toEqual(expected);
  });

  test('a cropped video: scaled to cover, centre window', () => {
    const [plan] = planVariants(video(642, 362), [
      preset({ name: 'sq', appliesTo: 'video', format: 'mp4', width: 300, height: 300, maintainAspectRatio: false, quality: 30 }),
    ]);
    expect(plan).toMatchObject({
      output: 'video',
      container: 'mp4',
      mimeType: 'video/mp4',
      crf: 30,
      resize: { width: 532, height: 300 },
      crop: { left: 116, top: 0, width: 300, height: 300 },
    });
  });

  test('quality, mime types, sources and flattening', () => {
    const plans = planVariants(image(640, 480, { format: 'png', hasAlpha: true }), [
      preset({ name: 't', format: 'png', quality: 70, alternativeFormats: ['jpg', 'webp'] }),
    ]);
    expect(plans.map((p) => p.output === 'image' && [p.name, p.mimeType, p.quality, p.flatten, p.source])).toEqual([
      ['t', 'image/png', 70, false, 'original'],
      ['t_jpg', 'image/jpeg', 70, true, 'original'],
      ['t_webp', 'image/webp', 70, false, 'original'],
    ]);
    const [clip, thumb] = planVariants(video(1920, 1080), defaults.filter((d) => d.name === '360p' || d.name === 'video_thumbnail'));
    expect(clip).toMatchObject({ output: 'video', crf: 28, ext: 'mp4' });
    expect(thumb).toMatchObject({ output: 'image', source: 'frame', quality: 85, format: 'jpg', mimeType: 'image/jpeg' });
    const [page] = planVariants({ kind: 'pdf', width: 300, height: 150 }, defaults);
    expect(page).toMatchObject({ source: 'page', format: 'jpg' });
  });

  test.each([
    [638.46, 640, 638],
    [359.72, 360, 360],
    [641, 641, 640],
    [361, 361, 360],
    [1, 1, 2],
  ])('evenWithin(%d, %d) = %d', (value, cap, expected) => {
    expect(evenWithin(value, cap)).toBe(expected);
  });
});

describe('planVariants: CRF', () => {
  test.each([
    ['video', 28, 28],
    ['video', 60, 51],
    ['both', 85, 8],
    ['both', 100, 0],
    ['both', 1, 51],
  ] as const)('%s dimension with quality %d → CRF %d', (appliesTo, quality, crf) => {
    const [plan] = planVariants({ kind: 'video', width: 640, height: 360 }, [
      { name: 'v', appliesTo, width: 640, height: 360, quality, format: 'mp4', enabled: true, order: 1, maintainAspectRatio: true, alternativeFormats: [] },
    ]);
    expect(plan).toMatchObject({ output: 'video', crf });
  });
});
