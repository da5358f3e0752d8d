/** Keys the processing job writes into `metadata` whenever it gets to the end of a file (see media-processing.service). */
const PROCESSED_KEYS = ['image', 'video', 'audio', 'pdf', 'page_count', 'variant_errors'];

export type RestoredFile = Readonly<{
  metadata: unknown;
  /** The file goes through the processing job (an image, video or PDF, with a job queue to run it). */
  needsProcessing: boolean;
}>;

/**
 * What a trashed file becomes when it is restored (restoreFile, or its bytes uploaded again): `failed` when its
 * processing failed (the job keeps the reason in `metadata.processing_error`, trashed or not); `processing` when it
 * needs processing and the job never recorded anything about it (trashed before its job ran, or before it ended), so
 * it is queued again instead of passing for done without its size and variants; else `active`. A job that ran without
 * the tool it needs (no ffprobe, no pdfinfo) recorded nothing either: such a file is processed again, harmlessly.
 */
export function restoredStatus(file: RestoredFile): 'active' | 'failed' | 'processing' {
  const { metadata } = file;
  const recorded = metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata) ? Object.keys(metadata) : [];
  if (recorded.includes('processing_error')) return 'failed';
  if (file.needsProcessing && !recorded.some((key) => PROCESSED_KEYS.includes(key))) return 'processing';
  return 'active';
}
