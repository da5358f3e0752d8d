import { describe, expect, test } from 'vitest';
import { FIELD_TYPE_INFO, FIELD_TYPES, type FieldDefinition, type FieldType } from './field-types.js';
import { checkFieldValue, fileConstraintIssue, isIsoDate, type FileFacts } from './validate-field-value.js';

/** A stored field of `type` with the type's default props, as normalizeFieldDefinitions builds it. */
function field(type: FieldType, extra: Partial<FieldDefinition> = {}): FieldDefinition {
  const options = FIELD_TYPE_INFO[type].requiresOptions ? { options: ['red', 'green', 'blue'] } : {};
  return { type, key: 'f', label: 'F', required: false, default: null, validation: {}, ...options, ...(FIELD_TYPE_INFO[type].defaultProps as Partial<FieldDefinition>), ...extra };
}

const UUID_A = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const UUID_B = '0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5C';

type Row = [name: string, def: FieldDefinition, input: unknown, expected: { value: unknown; files?: string[] } | { error: string; index?: number }];

const ok = (value: unknown, files?: string[]) => ({ value, ...(files ? { files } : {}) });
const bad = (error: string, index?: number) => ({ error, ...(index === undefined ? {} : { index }) });

const rows: Row[] = [
  // text
  ['text: plain', field('text'), 'Hello', ok('Hello')],
  ['text: 255 astral chars fit the default max', field('text'), '😀'.repeat(255), ok('😀'.repeat(255))],
  ['text: over the default max of 255', field('text'), 'a'.repeat(256), bad('at most 255')],
  ['text: own max_length', field('text', { max_length: 3 }), 'abcd', bad('at most 3')],
  ['text: min_length', field('text', { min_length: 3 }), 'ab', bad('at least 3')],
  ['text: a number is not a string', field('text'), 42, bad('must be a string')],
  ['text: NUL cannot be stored', field('text'), 'a\u0000b', bad('cannot be stored')],
  ['text: absent and optional', field('text'), undefined, ok(undefined)],
  ['text: blank and optional is no value', field('text'), '   ', ok(undefined)],
  ['text: blank and required', field('text', { required: true }), '  ', bad('is required')],
  ['text: null and required', field('text', { required: true }), null, bad('is required')],
  // textarea
  ['textarea: multi-line', field('textarea'), 'a\nb', ok('a\nb')],
  ['textarea: 5000 fits', field('textarea'), 'x'.repeat(5000), ok('x'.repeat(5000))],
  ['textarea: 5001 is too long', field('textarea'), 'x'.repeat(5001), bad('at most 5000')],
  ['textarea: required', field('textarea', { required: true }), undefined, bad('is required')],
  // email
  ['email: valid, trimmed', field('email'), ' ann@example.com ', ok('ann@example.com')],
  ['email: no domain dot', field('email'), 'ann@example', bad('valid email')],
  ['email: spaces', field('email'), 'a nn@example.com', bad('valid email')],
  ['email: not a string', field('email'), ['a@b.c'], bad('must be a string')],
  ['email: required', field('email', { required: true }), '', bad('is required')],
  // url
  ['url: https', field('url'), 'https://example.com/a?b=c', ok('https://example.com/a?b=c')],
  ['url: http', field('url'), 'http://localhost:4000', ok('http://localhost:4000')],
  ['url: javascript scheme', field('url'), 'javascript:alert(1)', bad('http:// or https://')],
  ['url: bare host', field('url'), 'example.com', bad('http:// or https://')],
  ['url: required', field('url', { required: true }), null, bad('is required')],
  // rich_text
  ['rich_text: kept markup', field('rich_text'), '<p><strong>Hi</strong></p>', ok('<p><strong>Hi</strong></p>')],
  ['rich_text: scripts and handlers removed', field('rich_text'), '<p onclick="x()">Hi<script>alert(1)</script></p>', ok('<p>Hi</p>')],
  ['rich_text: javascript links lose href', field('rich_text'), '<a href="javascript:alert(1)">x</a>', ok('<a rel="noopener noreferrer nofollow">x</a>')],
  ['rich_text: only a script is no value', field('rich_text'), '<script>x</script>', ok(undefined)],
  ['rich_text: only a script and required', field('rich_text', { required: true }), '<script>x</script>', bad('is required')],
  ['rich_text: max_length after sanitising', field('rich_text', { max_length: 5 }), '<b>123456</b>', bad('at most 5')],
  ['rich_text: not a string', field('rich_text'), { html: 'x' }, bad('must be a string')],
  // number
  ['number: integer', field('number'), 42, ok(42)],
  ['number: negative decimal', field('number'), -1.5, ok(-1.5)],
  ['number: numeric string is converted', field('number'), '12.50', ok(12.5)],
  ['number: exponent notation, as a number input writes it', field('number'), '1e2', ok(100)],
  ['number: a leading point and a signed exponent', field('number'), '-.5E-1', ok(-0.05)],
  ['number: too large to hold', field('number'), '1e400', bad('must be a number')],
  ['number: hexadecimal is not decimal', field('number'), '0x10', bad('must be a number')],
  ['number: a bare exponent', field('number'), 'e5', bad('must be a number')],
  ['number: words', field('number'), '12 apples', bad('must be a number')],
  ['number: boolean', field('number'), true, bad('must be a number')],
  ['number: below min', field('number', { min: 1 }), 0, bad('at least 1')],
  ['number: above max', field('number', { max: 10 }), 10.5, bad('at most 10')],
  ['number: on the bounds', field('number', { min: 1, max: 10 }), 10, ok(10)],
  ['number: zero is a value, not empty', field('number', { required: true }), 0, ok(0)],
  ['number: required', field('number', { required: true }), '', bad('is required')],
  // boolean
  ['boolean: true', field('boolean'), true, ok(true)],
  ['boolean: false is a value even when required', field('boolean', { required: true }), false, ok(false)],
  ['boolean: form string', field('boolean'), 'false', ok(false)],
  ['boolean: 1 is not a boolean', field('boolean'), 1, bad('true or false')],
  ['boolean: required', field('boolean', { required: true }), null, bad('is required')],
  // date
  ['date: ISO', field('date'), '2024-02-29', ok('2024-02-29')],
  ['date: not a leap year', field('date'), '2023-02-29', bad('YYYY-MM-DD')],
  ['date: other format', field('date'), '29.02.2024', bad('YYYY-MM-DD')],
  ['date: datetime', field('date'), '2024-02-01T10:00:00Z', bad('YYYY-MM-DD')],
  ['date: required', field('date', { required: true }), undefined, bad('is required')],
  // select
  ['select: an option', field('select'), 'green', ok('green')],
  ['select: not an option', field('select'), 'purple', bad('one of: red, green, blue')],
  ['select: options are case-sensitive', field('select'), 'Red', bad('one of')],
  ['select: empty allowed by default', field('select'), '', ok(undefined)],
  ['select: allow_empty false', field('select', { allow_empty: false }), '', bad('needs one of the options')],
  ['select: required', field('select', { required: true }), null, bad('is required')],
  // radio
  ['radio: an option', field('radio'), 'blue', ok('blue')],
  ['radio: not an option', field('radio'), 'black', bad('one of')],
  ['radio: a list is not one option', field('radio'), ['blue'], bad('one of')],
  ['radio: required', field('radio', { required: true }), undefined, bad('is required')],
  // checkbox
  ['checkbox: several options', field('checkbox'), ['red', 'blue'], ok(['red', 'blue'])],
  ['checkbox: one option as a string', field('checkbox'), 'red', ok(['red'])],
  ['checkbox: an unknown option names its index', field('checkbox'), ['red', 'pink'], bad('one of', 1)],
  ['checkbox: duplicates', field('checkbox'), ['red', 'red'], bad('same option twice', 1)],
  ['checkbox: allow_multiple false', field('checkbox', { allow_multiple: false }), ['red', 'blue'], bad('only one option')],
  ['checkbox: not a list', field('checkbox'), { red: true }, bad('list of options')],
  ['checkbox: empty list and optional', field('checkbox'), [], ok(undefined)],
  ['checkbox: empty list and required', field('checkbox', { required: true }), [], bad('is required')],
  // file
  ['file: uuids, lower-cased', field('file'), [UUID_A, UUID_B], ok([UUID_A, UUID_B.toLowerCase()], [UUID_A, UUID_B.toLowerCase()])],
  ['file: one uuid as a string', field('file'), UUID_A, ok([UUID_A], [UUID_A])],
  ['file: not a uuid', field('file'), [UUID_A, 'report.pdf'], bad('file uuid', 1)],
  ['file: same file twice', field('file'), [UUID_A, UUID_A.toUpperCase()], bad('same file twice', 1)],
  ['file: over max_entries', field('file', { max_entries: 1 }), [UUID_A, UUID_B], bad('at most 1 files')],
  ['file: required', field('file', { required: true }), [], bad('is required')],
  // image
  ['image: one uuid', field('image'), UUID_B, ok(UUID_B.toLowerCase(), [UUID_B.toLowerCase()])],
  ['image: a one-element list', field('image'), [UUID_A], ok(UUID_A, [UUID_A])],
  ['image: two uuids', field('image'), [UUID_A, UUID_B], bad('one file uuid')],
  ['image: not a uuid', field('image'), 'cat.png', bad('one file uuid')],
  ['image: required', field('image', { required: true }), null, bad('is required')],
  ['image: an empty list is no image', field('image'), [], ok(undefined)],
  ['image: an empty list for a required one', field('image', { required: true }), [], bad('is required')],
];

describe('checkFieldValue', () => {
  test('the table covers every field type', () => {
    expect(new Set(rows.map((r) => r[1].type))).toEqual(new Set(FIELD_TYPES));
  });

  test.each(rows)('%s', (_name, def, input, expected) => {
    const result = checkFieldValue(def, input);
    if ('error' in expected) {
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.message).toContain(expected.error);
      expect(result.index).toBe(expected.index);
    } else {
      expect(result).toEqual({ ok: true, value: expected.value, fileUuids: expected.files ?? [] });
    }
  });

  test('a type only the original knows is stored as given', () => {
    const legacy = { ...field('text'), type: 'relation' };
    expect(checkFieldValue(legacy, { any: 'thing' })).toEqual({ ok: true, value: { any: 'thing' }, fileUuids: [] });
  });
});

describe('isIsoDate', () => {
  test.each([
    ['2024-01-31', true],
    ['2024-04-31', false],
    ['2024-13-01', false],
    ['0001-01-01', true],
    ['24-01-01', false],
  ])('%s → %s', (value, expected) => expect(isIsoDate(value)).toBe(expected));
});

describe('fileConstraintIssue', () => {
  const pdf: FileFacts = { size: 1000, ext: 'pdf', mimeType: 'application/pdf', fileType: 'document' };
  const png: FileFacts = { size: 1000, ext: 'PNG', mimeType: 'image/png', fileType: 'image' };
  test.each<[string, FieldDefinition, FileFacts, string | null]>([
    ['accepted extension', field('file'), pdf, null],
    ['extension compared without case', field('file'), png, null],
    ['extension not accepted', field('file'), { ...pdf, ext: 'exe', mimeType: 'application/x-msdownload' }, 'must be one of'],
    ['mime wildcard', field('file', { accept: ['image/*'] }), png, null],
    ['mime wildcard refuses others', field('file', { accept: ['image/*'] }), pdf, 'must be one of'],
    ['empty accept list takes anything', field('file', { accept: [] }), { ...pdf, ext: 'zip' }, null],
    ['file size cap', field('file'), { ...pdf, size: 15_728_641 }, 'larger than 15728640'],
    ['image field takes an image', field('image'), png, null],
    ['image field refuses a pdf', field('image'), pdf, 'must be an image'],
    ['image size cap when set', field('image', { max_file_size: 999 }), png, 'larger than 999'],
  ])('%s', (_name, def, file, expected) => {
    const issue = fileConstraintIssue(def, file);
    if (expected === null) expect(issue).toBeNull();
    else expect(issue).toContain(expected);
  });
});
