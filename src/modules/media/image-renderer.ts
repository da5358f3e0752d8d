import sharp, { type SharpOptions } from 'sharp';
import { PermanentMediaError } from './domain/processing-errors.js';
import type { Box, ImageVariantPlan } from './domain/plan-variants.js';

export type ImageInspection = {
  /** Displayed size (EXIF orientation applied). */
  width: number;
  height: number;
  hasAlpha: boolean;
  /** sharp's name of the decoder (jpeg, png, tiff, gif …). */
  format: string;
  orientation: number | null;
  exif: Buffer | null;
  /** Frames of an animated image (1 otherwise). */
  pages: number;
  /** Bits per sample (8, 16 …). */
  bitDepth: number | null;
};

/** At most 8 bits per sample (or unknown): can be decoded once into 8-bit pixels for several variants without loss. */
export const isEightBit = (info: Pick<ImageInspection, 'bitDepth'>) => info.bitDepth === null || info.bitDepth <= 8;

/**
 * How bad a source must be before decoding gives up: only on errors, not on decoder warnings. Cameras and phones write
 * JPEGs libjpeg warns about ("Corrupt JPEG data: premature end of data segment") that every viewer shows; variants and
 * deep-zoom tiles use this one setting, so an image processing accepts also gets its tiles.
 */
export const DECODE_FAIL_ON = 'error' satisfies SharpOptions['failOn'];

const BITS: Record<string, number> = { uchar: 8, char: 8, ushort: 16, short: 16, uint: 32, int: 32, float: 32, double: 64 };

/**
 * Reads an image's header only (nothing is decoded) and refuses it when it has more than `maxPixels` pixels, so a
 * decompression bomb is stopped before it can take memory.
 */
export async function inspectImage(input: string | Buffer, maxPixels: number): Promise<ImageInspection> {
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new PermanentMediaError(`not a readable image: ${(error as Error).message}`);
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (!(width > 0 && height > 0)) throw new PermanentMediaError('not a readable image: it has no size');
  if (width * height > maxPixels) {
    throw new PermanentMediaError(
      `image is ${width}×${height} = ${width * height} pixels, over the limit of ${maxPixels}; refused before decoding`,
    );
  }
  const orientation = meta.orientation ?? null;
  const swapped = orientation !== null && orientation >= 5 && orientation <= 8;
  return {
    width: swapped ? height : width,
    height: swapped ? width : height,
    hasAlpha: Boolean(meta.hasAlpha),
    format: meta.format ?? 'unknown',
    orientation,
    exif: meta.exif ?? null,
    pages: meta.pages ?? 1,
    bitDepth: meta.depth ? (BITS[meta.depth] ?? null) : null,
  };
}

/** A source decoded once (first frame, orientation applied, scaled): 8-bit raw pixels, no metadata. */
export type DecodedImage = Readonly<{ data: Buffer; width: number; height: number; channels: 1 | 2 | 3 | 4 }>;

/** Decodes `input` once at `size` (see sharedDecodeSize), for several variants to be made from. */
export async function decodeScaled(input: string, size: Box, maxPixels: number): Promise<DecodedImage> {
  try {
    const { data, info } = await sharp(input, { limitInputPixels: maxPixels, failOn: DECODE_FAIL_ON, pages: 1 })
      .autoOrient()
      .resize(size.width, size.height, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    throw new PermanentMediaError(`not a readable image: ${(error as Error).message}`);
  }
}

/**
 * Renders one planned image variant to `outPath` from the source file (first frame only, EXIF orientation applied)
 * or from its decoded picture: scaled to exactly `plan.resize`, cut to `plan.crop`, encoded at the plan's quality;
 * metadata (EXIF, GPS) is not copied.
 */
export async function renderImage(
  input: string | DecodedImage,
  plan: ImageVariantPlan,
  outPath: string,
  maxPixels: number,
): Promise<{ width: number; height: number; size: number }> {
  const source =
    typeof input === 'string'
      ? sharp(input, { limitInputPixels: maxPixels, failOn: DECODE_FAIL_ON, pages: 1 }).autoOrient()
      : sharp(input.data, { raw: { width: input.width, height: input.height, channels: input.channels } });
  let image = source.resize(plan.resize.width, plan.resize.height, { fit: 'fill' });
  if (plan.crop) image = image.extract(plan.crop);
  if (plan.flatten) image = image.flatten({ background: '#ffffff' });
  switch (plan.format) {
    case 'jpg':
      image = image.jpeg({ quality: plan.quality });
      break;
    case 'png':
      image = image.png({ compressionLevel: 9 });
      break;
    case 'webp':
      image = image.webp({ quality: plan.quality });
      break;
    case 'avif':
      image = image.avif({ quality: plan.quality });
      break;
    case 'gif':
      image = image.gif();
      break;
  }
  try {
    const info = await image.toFile(outPath);
    return { width: info.width, height: info.height, size: info.size };
  } catch (error) {
    throw new PermanentMediaError(`could not render ${plan.name}: ${(error as Error).message}`);
  }
}

/**
 * Whether an image with an alpha channel actually has a see-through pixel (screenshots and GIFs often carry an
 * opaque alpha channel): only then does a JPEG preset switch to WebP. Decodes the first frame; call after inspectImage.
 */
export async function isTransparent(input: string, maxPixels: number): Promise<boolean> {
  try {
    const { isOpaque } = await sharp(input, { limitInputPixels: maxPixels, failOn: DECODE_FAIL_ON, pages: 1 }).stats();
    return !isOpaque;
  } catch (error) {
    throw new PermanentMediaError(`not a readable image: ${(error as Error).message}`);
  }
}

/**
 * Reads every pixel of the first frame, kept small (JPEG and WebP shrink while decoding): for a file no variant decodes,
 * so that a header that reads over pixels that do not (a cut-off upload) is not taken for a good image.
 */
export async function assertDecodes(input: string, maxPixels: number): Promise<void> {
  try {
    await sharp(input, { limitInputPixels: maxPixels, failOn: DECODE_FAIL_ON, pages: 1 }).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch (error) {
    throw new PermanentMediaError(`not a readable image: ${(error as Error).message}`);
  }
}
