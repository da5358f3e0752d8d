/**
 * Object keys as every storage driver sees them. A `StorageKey` can only be made by `normalizeKey` / `storageKey`,
 * so no driver ever receives client input unchecked: relative, `/`-separated, NFC, no empty / `.` / `..` segments,
 * no backslashes, no `%`, no control characters, at most 1024 UTF-8 bytes (S3's limit), segments at most 255 bytes
 * (a filesystem name's limit).
 */
export type StorageKey = string & { readonly __brand: 'StorageKey' };

export const MAX_KEY_BYTES = 1024;
export const MAX_SEGMENT_BYTES = 255;

export type StorageKeyProblem =
  | 'empty'
  | 'absolute'
  | 'empty-segment'
  | 'dot-segment'
  | 'backslash'
  | 'percent'
  | 'control-char'
  | 'invalid-unicode'
  | 'not-normalized'
  | 'drive-letter'
  | 'segment-too-long'
  | 'too-long';

const PROBLEM_TEXT: Record<StorageKeyProblem, string> = {
  empty: 'is empty',
  absolute: 'is absolute',
  'empty-segment': 'has an empty segment',
  'dot-segment': 'has a "." or ".." segment',
  backslash: 'contains a backslash',
  percent: 'contains "%"',
  'control-char': 'contains a control character',
  'invalid-unicode': 'contains an unpaired surrogate',
  'not-normalized': 'is not in Unicode NFC form',
  'drive-letter': 'starts with a drive letter',
  'segment-too-long': `has a segment over ${MAX_SEGMENT_BYTES} bytes`,
  'too-long': `is over ${MAX_KEY_BYTES} bytes`,
};

export class InvalidStorageKeyError extends Error {
  readonly code = 'INVALID_STORAGE_KEY';
  constructor(readonly problem: StorageKeyProblem) {
    super(`Storage key ${PROBLEM_TEXT[problem]}`);
    this.name = 'InvalidStorageKeyError';
  }
}

// C0, DEL and C1 controls (NUL included)
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const DRIVE = /^[A-Za-z]:/;

/** The first reason `raw` is not an acceptable key (checked on its NFC form), or null. */
export function keyProblem(raw: string): StorageKeyProblem | null {
  if (typeof raw !== 'string' || raw.length === 0) return 'empty';
  if (LONE_SURROGATE.test(raw)) return 'invalid-unicode';
  const key = raw.normalize('NFC');
  if (CONTROL.test(key)) return 'control-char';
  if (key.includes('\\')) return 'backslash';
  // percent-escapes are refused rather than decoded: `%2e%2e` must never become `..` in some later layer
  if (key.includes('%')) return 'percent';
  if (key.startsWith('/')) return 'absolute';
  if (DRIVE.test(key)) return 'drive-letter';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return 'too-long';
  for (const segment of key.split('/')) {
    if (segment === '') return 'empty-segment';
    if (segment === '.' || segment === '..') return 'dot-segment';
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return 'segment-too-long';
  }
  return null;
}

/** Checks and NFC-normalises a key; throws `InvalidStorageKeyError` instead of repairing anything. */
export function normalizeKey(raw: string): StorageKey {
  const problem = keyProblem(raw);
  if (problem) throw new InvalidStorageKeyError(problem);
  return raw.normalize('NFC') as StorageKey;
}

/** Joins parts with `/` (a part may itself contain `/`) and checks the result like `normalizeKey`. */
export function storageKey(...parts: readonly string[]): StorageKey {
  if (parts.length === 0) throw new InvalidStorageKeyError('empty');
  for (const part of parts) if (typeof part !== 'string' || part === '') throw new InvalidStorageKeyError('empty-segment');
  return normalizeKey(parts.join('/'));
}

/** Drivers call this on every key they are handed, so a string cast to `StorageKey` is still refused before I/O. */
export function assertStorageKey(key: string): asserts key is StorageKey {
  const problem = keyProblem(key);
  if (problem) throw new InvalidStorageKeyError(problem);
  if (key.normalize('NFC') !== key) throw new InvalidStorageKeyError('not-normalized');
}
