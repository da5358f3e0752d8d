import type { Box } from './plan-variants.js';

/** Largest picture (pixels) decoded once and kept in memory for all of a file's image variants (≈ 96 MB as RGBA). */
export const SHARED_DECODE_MAX_PIXELS = 24_000_000;

/**
 * The size at which a source is decoded once so that every image variant can be scaled from that one picture: the
 * smallest scaling of the source (never enlarged) at least as large as every variant's `resize` box in both
 * directions. A JPEG decoded smaller is decoded faster (libjpeg scales while it decodes), and each further variant
 * then costs a resize of that picture instead of a whole decode.
 *
 * Null when fewer than two variants would share it, or when the picture would hold more than `maxPixels` pixels:
 * each variant then decodes the source itself (streaming, bounded memory).
 */
export function sharedDecodeSize(source: Box, resizes: readonly Box[], maxPixels = SHARED_DECODE_MAX_PIXELS): Box | null {
  if (resizes.length < 2 || !(source.width > 0 && source.height > 0)) return null;
  const needed = Math.max(...resizes.map((r) => Math.max(r.width / source.width, r.height / source.height)));
  const scale = Math.min(1, needed);
  const size = {
    width: Math.min(source.width, Math.ceil(source.width * scale - 1e-9)),
    height: Math.min(source.height, Math.ceil(source.height * scale - 1e-9)),
  };
  return size.width * size.height <= maxPixels ? size : null;
}
