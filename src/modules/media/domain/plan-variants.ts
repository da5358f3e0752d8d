/**
 * Which variants a file gets from the storage dimensions (reference §2.9, corrected by product.md §5), with the exact
 * output geometry of each. The renderers (sharp, ffmpeg) only carry the plan out, so the numbers here are the numbers
 * stored on the variant rows.
 */

export type ImageFormat = 'jpg' | 'png' | 'webp' | 'avif' | 'gif';
export type VideoContainer = 'mp4' | 'webm' | 'mov' | 'avi';

export const IMAGE_OUTPUT_FORMATS: readonly ImageFormat[] = ['jpg', 'png', 'webp', 'avif', 'gif'];
export const VIDEO_CONTAINERS: readonly VideoContainer[] = ['mp4', 'webm', 'mov', 'avi'];

const IMAGE_MIME: Record<ImageFormat, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
};
const VIDEO_MIME: Record<VideoContainer, string> = {
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  avi: 'video/x-msvideo',
};

export type Preset = Readonly<{
  name: string;
  appliesTo: string;
  width: number | null;
  height: number | null;
  quality: number;
  format: string | null;
  enabled: boolean;
  order: number;
  maintainAspectRatio: boolean;
  alternativeFormats: readonly string[];
}>;

export type FocalPoint = Readonly<{ x: number; y: number }>;

/** The picture the variants are made from: the (oriented) image, a video's displayed frame, or a PDF's first page. */
export type VariantSource = Readonly<{
  kind: 'image' | 'video' | 'pdf';
  width: number;
  height: number;
  /** Some pixel is see-through (not merely an alpha channel present). */
  hasAlpha?: boolean;
  /** Extension of the original image (`jpg`, `png`, `tiff` …): the output format of a dimension without one. */
  format?: string | null;
  focalPoint?: FocalPoint | null;
}>;

export type Box = Readonly<{ width: number; height: number }>;
export type Crop = Readonly<{ left: number; top: number; width: number; height: number }>;
/** Scale the source to `resize` (exactly), then cut `crop` out of it when set; the output is `width`×`height`. */
export type Geometry = Readonly<{ width: number; height: number; resize: Box; crop: Crop | null }>;

export type ImageVariantPlan = Geometry &
  Readonly<{
    output: 'image';
    name: string;
    dimension: string;
    /** What is rendered: the original image, a frame of the video, the first page of the PDF. */
    source: 'original' | 'frame' | 'page';
    format: ImageFormat;
    ext: string;
    mimeType: string;
    quality: number;
    /** JPEG of a source with transparency: flatten onto white. */
    flatten: boolean;
  }>;

export type VideoVariantPlan = Geometry &
  Readonly<{
    output: 'video';
    name: string;
    dimension: string;
    container: VideoContainer;
    ext: string;
    mimeType: string;
    /** x264/VP9 constant rate factor, 0 (lossless) … 51. */
    crf: number;
  }>;

export type VariantPlan = ImageVariantPlan | VideoVariantPlan;

/** `JPEG ` → `jpg`; null for nothing. */
export function normalizeFormat(format: string | null | undefined): string | null {
  const f = (format ?? '').trim().toLowerCase();
  if (f === '') return null;
  return f === 'jpeg' ? 'jpg' : f;
}

const isImageFormat = (f: string | null): f is ImageFormat => f !== null && (IMAGE_OUTPUT_FORMATS as readonly string[]).includes(f);
const isVideoContainer = (f: string | null): f is VideoContainer => f !== null && (VIDEO_CONTAINERS as readonly string[]).includes(f);

const clamp = (value: number, min: number, max: number) => Math.min(Math.max(value, min), max);
const unit = (value: number | undefined) => (Number.isFinite(value) ? clamp(value!, 0, 1) : 0.5);

/** Nearest even number, never above `cap` rounded down to even, never below 2 (H.264 with 4:2:0 needs even sizes). */
export function evenWithin(value: number, cap: number): number {
  return Math.max(2, Math.min(2 * Math.round(value / 2), 2 * Math.floor(cap / 2)));
}

/** maintain_aspect_ratio on an image: only the width counts, and the image is never enlarged. */
function fitWidth(src: Box, width: number): Geometry {
  const w = Math.min(width, src.width);
  const h = Math.max(1, Math.round((src.height * w) / src.width));
  return { width: w, height: h, resize: { width: w, height: h }, crop: null };
}

/** Exactly `target`: scaled to cover it, then cut around the focal point (default: the centre). */
function cover(src: Box, target: Box, focal: FocalPoint | null | undefined): Geometry {
  const scale = Math.max(target.width / src.width, target.height / src.height);
  const resize = {
    width: Math.max(target.width, Math.round(src.width * scale)),
    height: Math.max(target.height, Math.round(src.height * scale)),
  };
  const left = clamp(Math.round(unit(focal?.x) * resize.width - target.width / 2), 0, resize.width - target.width);
  const top = clamp(Math.round(unit(focal?.y) * resize.height - target.height / 2), 0, resize.height - target.height);
  const crop = { left, top, width: target.width, height: target.height };
  const whole = left === 0 && top === 0 && resize.width === target.width && resize.height === target.height;
  return { width: target.width, height: target.height, resize, crop: whole ? null : crop };
}

/** Inside the width×height box (height unset: width only), never enlarged. */
function fitBox(src: Box, width: number, height: number | null): Geometry {
  const scale = Math.min(1, width / src.width, height ? height / src.height : Infinity);
  const w = Math.max(1, Math.round(src.width * scale));
  const h = Math.max(1, Math.round(src.height * scale));
  return { width: w, height: h, resize: { width: w, height: h }, crop: null };
}

/** A video inside the box, never upscaled, even sizes. */
function fitVideo(src: Box, width: number, height: number | null): Geometry {
  const scale = Math.min(1, width / src.width, height ? height / src.height : Infinity);
  const w = evenWithin(src.width * scale, Math.min(width, src.width));
  const h = evenWithin(src.height * scale, Math.min(height ?? src.height, src.height));
  return { width: w, height: h, resize: { width: w, height: h }, crop: null };
}

/** A video cut to the box's shape; a source smaller than the box gives the largest such shape it holds (no upscaling). */
function cropVideo(src: Box, width: number, height: number, focal: FocalPoint | null | undefined): Geometry {
  const shrink = Math.min(1, src.width / width, src.height / height);
  const target = {
    width: Math.max(2, 2 * Math.floor((width * shrink) / 2)),
    height: Math.max(2, 2 * Math.floor((height * shrink) / 2)),
  };
  return cover(src, target, focal);
}

/** A video dimension's quality is the CRF itself; a `both` dimension's is 1–100 and maps onto 51…0 (reference §2.9). */
function crfOf(preset: Preset): number {
  if (preset.appliesTo === 'video') return clamp(Math.round(preset.quality), 0, 51);
  return clamp(51 - Math.trunc((clamp(preset.quality, 0, 100) / 100) * 51), 0, 51);
}

function matches(preset: Preset, kind: VariantSource['kind']): boolean {
  if (!preset.enabled || preset.name === 'original' || !preset.width || preset.width <= 0) return false;
  const wanted = kind === 'video' ? 'video' : 'image';
  return preset.appliesTo === wanted || preset.appliesTo === 'both';
}

function imagePlans(
  preset: Preset,
  geometry: Geometry,
  primary: ImageFormat,
  source: ImageVariantPlan['source'],
  hasAlpha: boolean,
): ImageVariantPlan[] {
  const quality = clamp(Math.round(preset.quality), 1, 100);
  // the reference switches a JPEG of a transparent source to WebP, which keeps the transparency
  const main: ImageFormat = primary === 'jpg' && hasAlpha ? 'webp' : primary;
  const base = { ...geometry, output: 'image' as const, dimension: preset.name, source, quality };
  const plans: ImageVariantPlan[] = [
    { ...base, name: preset.name, format: main, ext: main, mimeType: IMAGE_MIME[main], flatten: false },
  ];
  const seen = new Set<string>([primary]);
  for (const raw of preset.alternativeFormats) {
    const format = normalizeFormat(raw);
    if (!isImageFormat(format) || seen.has(format)) continue;
    seen.add(format);
    plans.push({
      ...base,
      name: `${preset.name}_${raw.trim().toLowerCase()}`,
      format,
      ext: format,
      mimeType: IMAGE_MIME[format],
      flatten: format === 'jpg' && hasAlpha,
    });
  }
  return plans;
}

/**
 * The variants of one file: every enabled dimension that applies to it (images and PDFs: `image`/`both`; videos:
 * `video`/`both`), in dimension order, each followed by its alternative formats (`<name>_<fmt>`).
 *
 * - images and PDF pages: `maintain_aspect_ratio` fits the width and never enlarges; otherwise exactly W×H, cropped
 *   around the focal point (centre by default). A dimension without a format keeps the original's (JPEG when that is
 *   not a web format). Dimensions with a video format are skipped.
 * - videos: a video format (default mp4) transcodes inside the W×H box, never upscaled, even sizes, CRF = quality;
 *   an image format takes one frame (`video_thumbnail`), fitted inside the box without enlarging, or cropped to W×H.
 */
export function planVariants(source: VariantSource, presets: readonly Preset[]): VariantPlan[] {
  if (!(source.width > 0 && source.height > 0)) return [];
  const ordered = presets
    .filter((p) => matches(p, source.kind))
    .sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const src = { width: source.width, height: source.height };
  const plans: VariantPlan[] = [];
  for (const preset of ordered) {
    const width = preset.width!;
    const height = preset.height && preset.height > 0 ? preset.height : null;
    const format = normalizeFormat(preset.format);
    if (source.kind === 'video') {
      if (isImageFormat(format)) {
        const geometry = preset.maintainAspectRatio
          ? fitBox(src, width, height)
          : cover(src, { width, height: height ?? width }, source.focalPoint);
        plans.push(...imagePlans(preset, geometry, format, 'frame', false));
        continue;
      }
      const container: VideoContainer = isVideoContainer(format) ? format : 'mp4';
      if (format !== null && !isVideoContainer(format)) continue;
      const geometry = preset.maintainAspectRatio
        ? fitVideo(src, width, height)
        : cropVideo(src, width, height ?? width, source.focalPoint);
      plans.push({
        ...geometry,
        output: 'video',
        name: preset.name,
        dimension: preset.name,
        container,
        ext: container,
        mimeType: VIDEO_MIME[container],
        crf: crfOf(preset),
      });
      continue;
    }
    if (isVideoContainer(format)) continue;
    const fallback = normalizeFormat(source.kind === 'pdf' ? 'jpg' : source.format);
    const primary: ImageFormat = isImageFormat(format) ? format : isImageFormat(fallback) ? fallback : 'jpg';
    const geometry = preset.maintainAspectRatio
      ? fitWidth(src, width)
      : cover(src, { width, height: height ?? width }, source.focalPoint);
    const hasAlpha = source.kind === 'image' && Boolean(source.hasAlpha);
    plans.push(...imagePlans(preset, geometry, primary, source.kind === 'pdf' ? 'page' : 'original', hasAlpha));
  }
  return plans;
}
