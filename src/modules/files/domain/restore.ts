/**
 * What a trashed file becomes when it is restored (restoreFile, or its bytes uploaded again): `failed` when its
 * processing failed (the job keeps the reason in `metadata.processing_error`, trashed or not), else `active`.
 */
export function restoredStatus(metadata: unknown): 'active' | 'failed' {
  const failed = metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata) && 'processing_error' in metadata;
  return failed ? 'failed' : 'active';
}
