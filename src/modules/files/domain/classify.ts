import { splitExtension } from './file-name.js';

export const FILE_TYPES = ['image', 'video', 'audio', 'document', 'archive', 'other'] as const;
export type FileType = (typeof FILE_TYPES)[number];

const DOCUMENT_MIMES: ReadonlySet<string> = new Set([
  'application/pdf',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
]);

// the reference only knows mimes containing "zip" / "archive"; these common formats are archives too
const ARCHIVE_MIMES: ReadonlySet<string> = new Set([
  'application/x-tar',
  'application/x-7z-compressed',
  'application/vnd.rar',
  'application/x-rar-compressed',
  'application/x-bzip2',
  'application/x-xz',
  'application/zstd',
  'application/x-compress',
  'application/x-lzip',
  'application/x-lzh-compressed',
  'application/x-cpio',
]);

/** Extensions the reference classifies as audio even when no mime says so. */
const AUDIO_EXTENSIONS: ReadonlySet<string> = new Set([
  'mp3', 'wav', 'ogg', 'oga', 'm4a', 'aac', 'flac', 'opus', 'weba', 'mid', 'midi',
]);

/** Mime by extension, for the cases bytes cannot tell (plain text) or detection failed. */
const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif',
  heic: 'image/heic', heif: 'image/heif', bmp: 'image/bmp', tif: 'image/tiff', tiff: 'image/tiff',
  svg: 'image/svg+xml', ico: 'image/vnd.microsoft.icon', jxl: 'image/jxl',
  mp4: 'video/mp4', m4v: 'video/x-m4v', mov: 'video/quicktime', webm: 'video/webm', mkv: 'video/x-matroska',
  avi: 'video/x-msvideo', wmv: 'video/x-ms-wmv', flv: 'video/x-flv', mpeg: 'video/mpeg', mpg: 'video/mpeg',
  '3gp': 'video/3gpp', ogv: 'video/ogg',
  mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg', oga: 'audio/ogg', m4a: 'audio/mp4', aac: 'audio/aac',
  flac: 'audio/flac', opus: 'audio/opus', weba: 'audio/webm', mid: 'audio/midi', midi: 'audio/midi',
  pdf: 'application/pdf', doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  txt: 'text/plain', text: 'text/plain', md: 'text/markdown', csv: 'text/csv', tsv: 'text/tab-separated-values',
  html: 'text/html', htm: 'text/html', css: 'text/css', ics: 'text/calendar', xml: 'text/xml',
  zip: 'application/zip', gz: 'application/gzip', tgz: 'application/gzip', tar: 'application/x-tar',
  '7z': 'application/x-7z-compressed', rar: 'application/vnd.rar', bz2: 'application/x-bzip2', xz: 'application/x-xz',
  zst: 'application/zstd',
  json: 'application/json', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

/** `image/PNG; charset=x` → `image/png`. */
export function essence(mime: string | null | undefined): string {
  return (mime ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Lower-case extension of a file name, without the dot ('' when none). */
export function extensionOf(fileName: string | null | undefined): string {
  return splitExtension(fileName ?? '').ext.toLowerCase();
}

export function mimeFromExtension(fileName: string | null | undefined): string | null {
  return MIME_BY_EXTENSION[extensionOf(fileName)] ?? null;
}

function typeOfMime(mime: string): FileType | null {
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('text/') || DOCUMENT_MIMES.has(mime)) return 'document';
  if (mime.includes('zip') || mime.includes('archive') || ARCHIVE_MIMES.has(mime)) return 'archive';
  return null;
}

const UNKNOWN_MIMES: ReadonlySet<string> = new Set(['', 'application/octet-stream']);

/**
 * The file_type of a file (reference §2.10): from the mime detected in its bytes; only when the bytes told nothing
 * (no mime, `application/octet-stream`), from the mime its extension implies, then audio extensions; else `other`.
 * A positively detected type is never upgraded by the client's extension (an `.exe` named `x.png` stays `other`).
 */
export function classifyFile(mime: string | null | undefined, fileName: string | null | undefined): FileType {
  const detected = essence(mime);
  const fromBytes = typeOfMime(detected);
  if (fromBytes) return fromBytes;
  if (!UNKNOWN_MIMES.has(detected)) return 'other';
  const byExtension = mimeFromExtension(fileName);
  const fromName = byExtension ? typeOfMime(byExtension) : null;
  if (fromName) return fromName;
  return AUDIO_EXTENSIONS.has(extensionOf(fileName)) ? 'audio' : 'other';
}

/** Types a browser may run as a document (scripts): stored and served as opaque bytes instead. */
const UNSAFE_MIMES: ReadonlySet<string> = new Set(['text/html', 'image/svg+xml', 'application/xhtml+xml', 'text/xml', 'application/xml']);

/** Formats without magic numbers: for these alone a name's extension may say what text bytes are. */
const isTextFormat = (mime: string) => mime.startsWith('text/') || mime === 'application/json' || mime === 'image/svg+xml';

export type UploadContentType = Readonly<{ mime: string; ext: string; fileType: FileType }>;

/**
 * What an upload is stored as (product.md §5: the bytes decide, not the client). `detected` is what the magic numbers
 * of its first bytes say, `isText` whether those bytes are text. When the bytes say nothing, the name's extension is
 * believed only for text formats, which have no magic numbers, and only for text bytes: random bytes named
 * `photo.png` are `application/octet-stream`, `other`. Types a browser would run are stored as opaque bytes.
 */
export function uploadContentType(detected: { mime: string; ext: string } | null, fileName: string, isText: boolean): UploadContentType {
  const named = mimeFromExtension(fileName);
  const byName = !detected && isText && named !== null && isTextFormat(named);
  const mime = detected?.mime ?? (byName ? named : null);
  return {
    mime: mime && !UNSAFE_MIMES.has(mime) ? mime : 'application/octet-stream',
    ext: detected?.ext ?? (byName ? extensionOf(fileName) : 'bin'),
    fileType: classifyFile(mime, byName ? fileName : null),
  };
}

/**
 * Write-time reconciliation (reference §2.10): a claimed generic type gives way to the derived one unless that is
 * `other`; a claim outside the generic set (e.g. `tile`) is kept.
 */
export function reconcileFileType(claimed: string | null | undefined, derived: FileType): string {
  if (!claimed) return derived;
  if (!(FILE_TYPES as readonly string[]).includes(claimed)) return claimed;
  return derived === 'other' ? claimed : derived;
}
