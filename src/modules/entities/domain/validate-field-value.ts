import { FILE_TYPES, LIST_TYPES, type FieldDefinition } from './field-types.js';
import { sanitizeRichText } from './sanitize-rich-text.js';
import { codePointLength, isStorableString, type JsonValue } from '../../../util/storable-json.js';
import { isUuid } from '../../../util/uuid.js';

/** Rich text without its own max_length is still bounded. */
export const RICH_TEXT_MAX_LENGTH = 100_000;
export const EMAIL_MAX_LENGTH = 254;
export const URL_MAX_LENGTH = 2048;
export const FILE_MAX_ENTRIES_DEFAULT = 5;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** A number as an HTML number input writes it ("valid floating-point number": 12, -1.5, .5, 1e2, 2.5E-3). */
const DECIMAL = /^-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The outcome of checking one field's value. `value` is what gets stored (normalised: numbers from numeric strings,
 * sanitised HTML, lower-case uuids); `undefined` means "no value", and the key is left out. `fileUuids` are the files
 * the value references, for the caller to check against the author's access and the field's file constraints.
 */
export type FieldCheck =
  | { ok: true; value: JsonValue | undefined; fileUuids: string[] }
  | { ok: false; message: string; index?: number };

const fail = (message: string, index?: number): FieldCheck => (index === undefined ? { ok: false, message } : { ok: false, message, index });
const pass = (value: JsonValue | undefined, fileUuids: string[] = []): FieldCheck => ({ ok: true, value, fileUuids });

function isEmpty(field: FieldDefinition, raw: unknown): boolean {
  if (raw === undefined || raw === null) return true;
  if (typeof raw === 'string') return raw.trim() === '';
  // an image field also takes its uuid as a one-element list, so an empty list is no image
  return Array.isArray(raw) && raw.length === 0 && (LIST_TYPES.has(field.type) || FILE_TYPES.has(field.type));
}

/** A real calendar date in `YYYY-MM-DD` form (2024-02-29 yes, 2023-02-29 no). */
export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d); // Date.UTC would read years below 100 as 19xx
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}


function checkText(field: FieldDefinition, raw: unknown, defaultMax: number | undefined): FieldCheck {
  if (typeof raw !== 'string') return fail('must be a string');
  if (!isStorableString(raw)) return fail('contains characters that cannot be stored');
  const length = codePointLength(raw);
  const max = field.max_length ?? defaultMax;
  if (max !== undefined && length > max) return fail(`must be at most ${max} characters`);
  if (field.min_length !== undefined && length < field.min_length) return fail(`must be at least ${field.min_length} characters`);
  return pass(raw);
}

function checkNumber(field: FieldDefinition, raw: unknown): FieldCheck {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && DECIMAL.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isFinite(n)) return fail('must be a number');
  if (field.min != null && n < field.min) return fail(`must be at least ${field.min}`);
  if (field.max != null && n > field.max) return fail(`must be at most ${field.max}`);
  return pass(n);
}

function checkChoice(field: FieldDefinition, raw: unknown): FieldCheck {
  const options = field.options ?? [];
  if (typeof raw !== 'string' || !options.includes(raw)) return fail(`must be one of: ${options.join(', ')}`);
  return pass(raw);
}

function checkCheckbox(field: FieldDefinition, raw: unknown): FieldCheck {
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list)) return fail('must be a list of options');
  const options = field.options ?? [];
  const seen = new Set<string>();
  for (const [i, item] of list.entries()) {
    if (typeof item !== 'string' || !options.includes(item)) return fail(`must be one of: ${options.join(', ')}`, i);
    if (seen.has(item)) return fail('lists the same option twice', i);
    seen.add(item);
  }
  if (field.allow_multiple === false && list.length > 1) return fail('allows only one option');
  return pass(list as string[]);
}

function checkFiles(field: FieldDefinition, raw: unknown): FieldCheck {
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list)) return fail('must be a list of file uuids');
  const max = field.max_entries ?? FILE_MAX_ENTRIES_DEFAULT;
  if (list.length > max) return fail(`holds at most ${max} files`);
  const uuids: string[] = [];
  for (const [i, item] of list.entries()) {
    if (!isUuid(item)) return fail('must be a file uuid', i);
    const uuid = item.toLowerCase();
    if (uuids.includes(uuid)) return fail('lists the same file twice', i);
    uuids.push(uuid);
  }
  return pass(uuids, uuids);
}

function checkPresent(field: FieldDefinition, raw: unknown): FieldCheck {
  switch (field.type) {
    case 'text':
      return checkText(field, raw, 255);
    case 'textarea':
      return checkText(field, raw, 5000);
    case 'email': {
      if (typeof raw !== 'string') return fail('must be a string');
      const email = raw.trim();
      if (email.length > EMAIL_MAX_LENGTH || !EMAIL.test(email) || !isStorableString(email)) return fail('must be a valid email address');
      return pass(email);
    }
    case 'url': {
      if (typeof raw !== 'string') return fail('must be a string');
      const url = raw.trim();
      if (url.length > URL_MAX_LENGTH || !/^https?:\/\/\S+$/i.test(url) || !URL.canParse(url)) return fail('must be an http:// or https:// URL');
      return pass(url);
    }
    case 'rich_text': {
      if (typeof raw !== 'string') return fail('must be a string');
      if (!isStorableString(raw)) return fail('contains characters that cannot be stored');
      const html = sanitizeRichText(raw);
      const max = field.max_length ?? RICH_TEXT_MAX_LENGTH;
      if (codePointLength(html) > max) return fail(`must be at most ${max} characters`);
      return pass(html);
    }
    case 'number':
      return checkNumber(field, raw);
    case 'boolean':
      if (raw === true || raw === 'true') return pass(true);
      if (raw === false || raw === 'false') return pass(false);
      return fail('must be true or false');
    case 'date':
      if (typeof raw !== 'string' || !isIsoDate(raw.trim())) return fail('must be a date written YYYY-MM-DD');
      return pass(raw.trim());
    case 'select':
    case 'radio':
      return checkChoice(field, raw);
    case 'checkbox':
      return checkCheckbox(field, raw);
    case 'file':
      return checkFiles(field, raw);
    case 'image': {
      const single = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
      if (!isUuid(single)) return fail('must be one file uuid');
      return pass(single.toLowerCase(), [single.toLowerCase()]);
    }
    default:
      // a type only the original knows: stored as given, as the original does
      return pass(raw as JsonValue);
  }
}

/**
 * Checks one value against its field: emptiness (null, blank strings, empty lists) against `required`, then the
 * type's rules (lengths, formats, ranges, options, entry counts). Pure: file existence is the caller's business.
 */
export function checkFieldValue(field: FieldDefinition, raw: unknown): FieldCheck {
  if (!isEmpty(field, raw)) {
    const checked = checkPresent(field, raw);
    // sanitising can leave nothing (e.g. only a <script>): that is no value
    if (!checked.ok || !(field.type === 'rich_text' && typeof checked.value === 'string' && checked.value.trim() === '')) return checked;
  }
  if (field.required) return fail('is required');
  if (field.type === 'select' && field.allow_empty === false) return fail('needs one of the options');
  return pass(undefined);
}

export type FileFacts = { size: number; ext: string; mimeType: string; fileType: string };

/** Whether a referenced file suits its field: an image for image fields, the size cap, the accepted extensions/types. */
export function fileConstraintIssue(field: FieldDefinition, file: FileFacts): string | null {
  if (field.type === 'image' && file.fileType !== 'image' && !file.mimeType.startsWith('image/')) return 'must be an image';
  if (field.max_file_size !== undefined && file.size > field.max_file_size) return `is larger than ${field.max_file_size} bytes`;
  const accept = field.type === 'file' ? (field.accept ?? []) : [];
  if (accept.length > 0 && !accept.some((pattern) => acceptsFile(pattern, file))) return `must be one of: ${accept.join(', ')}`;
  return null;
}

function acceptsFile(pattern: string, file: FileFacts): boolean {
  const p = pattern.trim().toLowerCase();
  if (p.startsWith('.')) return `.${file.ext.toLowerCase()}` === p;
  if (p.endsWith('/*')) return file.mimeType.toLowerCase().startsWith(p.slice(0, -1));
  return file.mimeType.toLowerCase() === p;
}
