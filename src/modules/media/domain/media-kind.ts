/** What the processing job does with a file: sharp for images, ffmpeg for videos, poppler for PDFs. */
export type ProcessingKind = 'image' | 'video' | 'pdf';

/** Image types the bundled libvips decodes (HEIC, BMP, SVG, JPEG XL … are stored as they are, without variants). */
export const SHARP_INPUT_MIMES: ReadonlySet<string> = new Set([
  'image/jpeg',
  'image/png',
  'image/apng',
  'image/webp',
  'image/gif',
  'image/tiff',
  'image/avif',
]);

export type ClassifiedFile = Readonly<{ fileType: string; mimeType: string; systemManaged?: boolean }>;

/** The pipeline a file goes through, or null for files that get neither variants nor metadata (audio, archives …). */
export function processingKindOf(file: ClassifiedFile): ProcessingKind | null {
  if (file.systemManaged) return null;
  const mime = file.mimeType.toLowerCase();
  if (file.fileType === 'image') return SHARP_INPUT_MIMES.has(mime) ? 'image' : null;
  if (file.fileType === 'video') return 'video';
  if (file.fileType === 'document' && mime === 'application/pdf') return 'pdf';
  return null;
}

/** A new file's status: `processing` when a job will give it variants or metadata, else `active` at once. */
export function initialStatusFor(file: ClassifiedFile): 'processing' | 'active' {
  return processingKindOf(file) === null ? 'active' : 'processing';
}
