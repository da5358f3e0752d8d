import anyAscii from 'any-ascii';

export const MAX_FILE_NAME_BYTES = 255;
/** Extensions longer than this are treated as part of the name when shortening. */
const MAX_EXTENSION_BYTES = 32;
export const FALLBACK_FILE_NAME = 'file';

// C0/C1 controls, DEL, soft hyphen, bidi embeddings/overrides/isolates and marks, zero-width characters, line and
// paragraph separators, deprecated format characters, blank Hangul fillers, interlinear annotation marks, BOM, tag
// characters (U+E0000–E007F) and unpaired surrogates
const INVISIBLE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\uffa0\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Splits off the last `.ext` (a leading dot alone is not an extension: `.env` has none). */
export function splitExtension(name: string): { base: string; ext: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return { base: name, ext: '' };
  return { base: name.slice(0, dot), ext: name.slice(dot + 1) };
}

/** The longest prefix of `s` of whole grapheme clusters within `maxBytes` UTF-8 bytes. */
function truncateBytes(s: string, maxBytes: number): string {
  if (bytes(s) <= maxBytes) return s;
  let out = '';
  let used = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)) {
    const size = bytes(segment);
    if (used + size > maxBytes) break;
    out += segment;
    used += size;
  }
  return out;
}

const trimName = (s: string) => s.replace(/^\s+/u, '').replace(/[\s.]+$/u, '');

/**
 * A client's file name made safe to store and show: the last path part only (`/` and `\` both separate), NFC,
 * without control, bidi-override or zero-width characters, trimmed (trailing dots too), at most 255 UTF-8 bytes
 * keeping the extension; `file` when nothing is left.
 */
export function sanitizeFileName(raw: string | null | undefined): string {
  if (typeof raw !== 'string') return FALLBACK_FILE_NAME;
  const cleaned = raw.replace(INVISIBLE, '').normalize('NFC');
  const lastPart = cleaned.split(/[/\\]/).pop() ?? '';
  let name = trimName(lastPart);
  if (/^\.*$/.test(name)) return FALLBACK_FILE_NAME;
  if (bytes(name) > MAX_FILE_NAME_BYTES) {
    const { base, ext } = splitExtension(name);
    if (ext && bytes(ext) <= MAX_EXTENSION_BYTES) {
      const shortBase = trimName(truncateBytes(base, MAX_FILE_NAME_BYTES - bytes(ext) - 1));
      name = shortBase ? `${shortBase}.${ext}` : truncateBytes(name, MAX_FILE_NAME_BYTES);
    } else {
      name = trimName(truncateBytes(name, MAX_FILE_NAME_BYTES));
    }
  }
  return name || FALLBACK_FILE_NAME;
}

// RFC 5987 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

function encodeRfc5987(value: string): string {
  let out = '';
  for (const ch of value) {
    if (ATTR_CHAR.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** An ASCII stand-in for old clients: transliterated, without quotes, backslashes or percent signs. */
function asciiFallback(name: string): string {
  const ascii = anyAscii(name)
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/["\\%]/g, '_')
    .trim();
  return ascii && !/^\.*$/.test(ascii) ? ascii : FALLBACK_FILE_NAME;
}

/**
 * The name a variant is sent under: the original's name with the variant's extension (a JPEG thumbnail of
 * `report.pdf` is `report.jpg`); the original keeps its name.
 */
export function variantFileName(originalName: string, variant: string, ext: string): string {
  if (variant === 'original' || !ext) return originalName;
  return `${splitExtension(originalName).base}.${ext}`;
}

/**
 * A `Content-Disposition` header value (RFC 6266): `filename="…"` for every client, plus RFC 5987 `filename*`
 * with the exact UTF-8 name whenever the plain one had to change. The name is sanitised first.
 */
export function contentDisposition(name: string, type: 'inline' | 'attachment'): string {
  const clean = sanitizeFileName(name);
  const fallback = asciiFallback(clean);
  const header = `${type}; filename="${fallback}"`;
  return fallback === clean ? header : `${header}; filename*=UTF-8''${encodeRfc5987(clean)}`;
}
