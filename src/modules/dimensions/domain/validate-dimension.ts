import type { FieldIssue } from '../../../graphql/errors.js';
import type { DimensionValues } from './default-dimensions.js';

/** Create/update input: absent (or null for a column that cannot be null) keeps the stored value or the default. */
export type DimensionInput = {
  name?: string | null;
  appliesTo?: string | null;
  width?: number | null;
  height?: number | null;
  quality?: number | null;
  format?: string | null;
  enabled?: boolean | null;
  order?: number | null;
  maintainAspectRatio?: boolean | null;
  alternativeFormats?: readonly string[] | null;
};

export const APPLIES_TO = ['image', 'video', 'both'] as const;
export const NAME_PATTERN = /^[a-z0-9_]+$/;
export const NAME_MAX = 50;
/** Largest width/height a preset may ask for (libvips and WebP stop at 16383). */
export const SIZE_MAX = 16_383;

const FRAME_FORMATS = ['jpg', 'jpeg', 'png', 'webp'];
/** Output formats by `applies_to` (reference §2.2). */
export const FORMATS_FOR: Record<DimensionValues['appliesTo'], readonly string[]> = {
  image: ['jpg', 'jpeg', 'png', 'webp', 'gif'],
  video: ['mp4', 'webm', 'avi', 'mov', ...FRAME_FORMATS],
  both: ['jpg', 'jpeg', 'png', 'webp', 'gif', 'mp4', 'webm', 'avi', 'mov'],
};
export const ALTERNATIVE_FORMATS = ['jpg', 'jpeg', 'png', 'webp', 'avif', 'gif'] as const;

/** jpg and jpeg are one format. */
const same = (f: string) => (f === 'jpeg' ? 'jpg' : f);

/** True when a dimension makes a video (not a frame, not an image): its quality is a CRF. */
export function isVideoEncoding(values: Pick<DimensionValues, 'appliesTo' | 'format'>): boolean {
  return values.appliesTo === 'video' && !FRAME_FORMATS.includes(values.format ?? 'mp4');
}

const cleanFormat = (value: string | null | undefined) => {
  const f = (value ?? '').trim().toLowerCase();
  return f === '' ? null : f;
};

const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n);

/**
 * Validates a dimension against the reference's rules and returns the values to store (`existing` merged with
 * `input`). Names `^[a-z0-9_]+$`, 1–50 chars, not `original` and not ending in `_<alternative format>` (that is how
 * alternative variants are named); width always, height when the ratio is not kept; quality 1–100, or a CRF 0–51 for
 * video encodings; the format must suit `applies_to`; alternative formats only for images, without repeats or the
 * primary format. Name uniqueness is the service's check.
 */
export function validateDimension(
  input: DimensionInput,
  existing: DimensionValues | null,
): { issues: FieldIssue[]; values: DimensionValues } {
  const issues: FieldIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path, message });

  const appliesTo = (input.appliesTo ?? existing?.appliesTo ?? '') as DimensionValues['appliesTo'];
  const format = input.format === undefined ? (existing?.format ?? null) : cleanFormat(input.format);
  const alternatives = (input.alternativeFormats ?? existing?.alternativeFormats ?? [])
    .map((f) => f.trim().toLowerCase())
    .filter((f) => f !== '');
  const values: DimensionValues = {
    name: input.name ?? existing?.name ?? '',
    appliesTo,
    width: input.width ?? existing?.width ?? 0,
    height: input.height === undefined ? (existing?.height ?? null) : input.height,
    quality: 0,
    format,
    enabled: input.enabled ?? existing?.enabled ?? true,
    order: input.order ?? existing?.order ?? 0,
    maintainAspectRatio: input.maintainAspectRatio ?? existing?.maintainAspectRatio ?? true,
    alternativeFormats: alternatives,
  };
  const video = isVideoEncoding(values);
  values.quality = input.quality ?? existing?.quality ?? (video ? 28 : 85);

  const { name } = values;
  if (name === '') issue('name', 'is required');
  else if (name.length > NAME_MAX) issue('name', `must be at most ${NAME_MAX} characters`);
  else if (!NAME_PATTERN.test(name)) issue('name', 'may contain only a-z, 0-9 and _');
  else if (name === 'original') issue('name', '"original" is the uploaded file itself');
  else if (ALTERNATIVE_FORMATS.some((f) => name.endsWith(`_${f}`))) {
    issue('name', 'must not end in _<format>: that names the alternative-format variants of another dimension');
  }

  if (!(APPLIES_TO as readonly string[]).includes(appliesTo)) {
    issue('appliesTo', appliesTo === ('' as string) ? 'is required' : 'must be image, video or both');
  }

  if (!isInt(values.width) || values.width <= 0) issue('width', 'is required and must be a whole number above 0');
  else if (values.width > SIZE_MAX) issue('width', `must be at most ${SIZE_MAX}`);
  if (values.height === null) {
    if (!values.maintainAspectRatio) issue('height', 'is required when the aspect ratio is not kept (the variant is cropped to width×height)');
  } else if (!isInt(values.height) || values.height <= 0) issue('height', 'must be a whole number above 0');
  else if (values.height > SIZE_MAX) issue('height', `must be at most ${SIZE_MAX}`);

  if (!isInt(values.order) || values.order < 0 || values.order > 2_147_483_647) issue('order', 'must be a whole number of 0 or more');

  if (!isInt(values.quality)) issue('quality', 'must be a whole number');
  else if (video && (values.quality < 0 || values.quality > 51)) issue('quality', 'is a CRF for videos: 0 to 51');
  else if (!video && (values.quality < 1 || values.quality > 100)) issue('quality', 'must be between 1 and 100');

  const allowed = FORMATS_FOR[appliesTo];
  if (format !== null && allowed && !allowed.includes(format)) issue('format', `must be one of ${allowed.join(', ')}`);

  if (alternatives.length > 0) {
    if (appliesTo === 'video') issue('alternativeFormats', 'are only for image dimensions');
    const unknown = alternatives.filter((f) => !(ALTERNATIVE_FORMATS as readonly string[]).includes(f));
    if (unknown.length > 0) issue('alternativeFormats', `must be among ${ALTERNATIVE_FORMATS.join(', ')} (not ${unknown.join(', ')})`);
    else if (new Set(alternatives.map(same)).size !== alternatives.length) issue('alternativeFormats', 'must not repeat a format');
    else if (format !== null && alternatives.map(same).includes(same(format))) {
      issue('alternativeFormats', 'must not include the primary format');
    }
  }
  return { issues, values };
}
