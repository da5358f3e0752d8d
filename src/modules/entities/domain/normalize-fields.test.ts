import { describe, expect, test } from 'vitest';
import { FIELD_TYPES, parseStoredFields } from './field-types.js';
import { normalizeFieldDefinitions, type FieldInput } from './normalize-fields.js';

const base = (type: string, extra: Partial<FieldInput> = {}): FieldInput => ({ type, key: 'k', label: 'K', ...extra });
const choice = ['a', 'b'];

describe('normalizeFieldDefinitions', () => {
  test('every type gets its default props; booleans default to false', () => {
    const inputs = FIELD_TYPES.map((type, i) =>
      base(type, { key: `f${i}`, ...(['select', 'radio', 'checkbox'].includes(type) ? { options: choice } : {}) }),
    );
    const result = normalizeFieldDefinitions(inputs);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const byType = Object.fromEntries(result.fields.map((f) => [f.type, f]));
    expect(byType.text).toMatchObject({ max_length: 255, placeholder: '', required: false, default: null, validation: {} });
    expect(byType.textarea).toMatchObject({ rows: 4, max_length: 5000 });
    expect(byType.number).toMatchObject({ min: null, max: null, step: 1 });
    expect(byType.boolean).toMatchObject({ default: false });
    expect(byType.select).toMatchObject({ options: choice, allow_empty: true });
    expect(byType.checkbox).toMatchObject({ allow_multiple: true });
    expect(byType.file).toMatchObject({ max_entries: 5, max_file_size: 15_728_640, accept: ['.pdf', '.jpg', '.jpeg', '.png'] });
    expect(byType.image).toMatchObject({ type: 'image' });
  });

  test.each<[string, FieldInput[], string, string]>([
    ['unknown type', [base('relation')], 'fields.0.type', 'must be one of'],
    ['bad key', [base('text', { key: 'Title' })], 'fields.0.key', 'a-z'],
    ['key starting with _', [base('text', { key: '_slug' })], 'fields.0.key', 'a-z'],
    ['duplicate key', [base('text'), base('number')], 'fields.1.key', 'another field'],
    ['blank label', [base('text', { label: '  ' })], 'fields.0.label', '1 to 255'],
    ['select without options', [base('select')], 'fields.0.options', 'required'],
    ['radio with no options', [base('radio', { options: [] })], 'fields.0.options', 'required'],
    ['duplicate option', [base('checkbox', { options: ['a', 'a'] })], 'fields.0.options.1', 'twice'],
    ['options on a text field', [base('text', { options: choice })], 'fields.0.options', 'not used'],
    ['prop of another type', [base('text', { rows: 3 })], 'fields.0.rows', 'not used'],
    ['negative max length', [base('text', { maxLength: 0 })], 'fields.0.maxLength', 'whole number'],
    ['min above max', [base('number', { min: 5, max: 1 })], 'fields.0.min', 'must not exceed'],
    ['zero step', [base('number', { step: 0 })], 'fields.0.step', 'greater than 0'],
    ['unknown date format', [base('date', { format: 'YYYY' })], 'fields.0.format', 'one of'],
    ['bad accept pattern', [base('file', { accept: ['pdf'] })], 'fields.0.accept', 'extensions'],
    ['default not an option', [base('select', { options: choice, default: 'c' })], 'fields.0.default', 'one of'],
    ['default out of range', [base('number', { max: 3, default: 4 })], 'fields.0.default', 'at most 3'],
    ['default on a file field', [base('file', { default: [] })], 'fields.0.default', 'no default'],
  ])('%s is refused', (_name, inputs, path, message) => {
    const result = normalizeFieldDefinitions(inputs);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  test('defaults are stored normalised, props override type defaults', () => {
    const result = normalizeFieldDefinitions([
      base('number', { key: 'n', default: '7', max: 10 }),
      base('file', { key: 'docs', accept: [' .PDF ', 'image/*'], maxEntries: 2 }),
    ]);
    expect(result).toMatchObject({ ok: true, fields: [{ default: 7, max: 10, min: null }, { accept: ['.pdf', 'image/*'], max_entries: 2 }] });
  });
});

describe('parseStoredFields', () => {
  test("reads the original's form-submitted shapes and skips entries that define nothing", () => {
    const fields = parseStoredFields([
      { type: 'text', key: 'a', label: 'A', required: 'true', max_length: '20' },
      { type: 'number', key: 'b', label: 'B', min: null, max: '9' },
      { key: 'no_type', label: 'X' },
      'junk',
    ]);
    expect(fields).toEqual([
      { type: 'text', key: 'a', label: 'A', required: true, default: null, validation: {}, max_length: 20 },
      { type: 'number', key: 'b', label: 'B', required: false, default: null, validation: {}, min: null, max: 9 },
    ]);
    expect(parseStoredFields(null)).toEqual([]);
  });
});
