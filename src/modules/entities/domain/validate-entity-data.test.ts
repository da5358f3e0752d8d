import { describe, expect, test } from 'vitest';
import type { FieldDefinition } from './field-types.js';
import type { JsonObject } from '../../../util/storable-json.js';
import { diffFields, keysBecomingFiles } from './field-changes.js';
import { auditEntityData, prepareEntityData, staleDataKeys } from './validate-entity-data.js';

const def = (type: string, key: string, extra: Partial<FieldDefinition> = {}): FieldDefinition => ({
  type,
  key,
  label: key,
  required: false,
  default: null,
  validation: {},
  ...extra,
});

const FILE = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const fields = [
  def('text', 'name', { required: true, max_length: 20 }),
  def('boolean', 'active', { default: false }),
  def('select', 'color', { options: ['red', 'blue'], default: 'red' }),
  def('file', 'docs', { max_entries: 3 }),
];

describe('prepareEntityData', () => {
  test('a create fills defaults, normalises values and lists file references', () => {
    expect(prepareEntityData(fields, { name: 'Ann', docs: [FILE] }, null)).toEqual({
      ok: true,
      data: { name: 'Ann', active: false, color: 'red', docs: [FILE] },
      fileRefs: [{ path: 'data.docs.0', uuid: FILE, field: fields[3] }],
    });
  });

  test.each<[string, unknown, Record<string, unknown> | null, { path: string; message: string }]>([
    ['missing required field', {}, null, { path: 'data.name', message: 'is required' }],
    ['key that names no field', { name: 'A', age: 3 }, null, { path: 'data.age', message: 'is not a field of this entity' }],
    ['data that is not an object', ['x'], null, { path: 'data', message: 'must be an object' }],
    ['clearing a required field on update', { name: null }, { name: 'A' }, { path: 'data.name', message: 'is required' }],
    ['unstorable string', { name: 'a\u0000' }, null, { path: 'data.name', message: 'contains characters that cannot be stored' }],
  ])('%s is refused', (_name, input, existing, issue) => {
    const result = prepareEntityData(fields, input, existing as JsonObject | null);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toContainEqual(issue);
  });

  test('an update merges, removes keys set to null and skips defaults', () => {
    const result = prepareEntityData(fields, { color: null, active: 'true' }, { name: 'Ann', color: 'blue' });
    expect(result).toMatchObject({ ok: true, data: { name: 'Ann', active: true } });
    if (result.ok) expect(result.data).not.toHaveProperty('color');
  });

  test('an update re-validates unchanged values written under an older definition', () => {
    const result = prepareEntityData(fields, { active: true }, { name: 'x'.repeat(30) });
    expect(result).toEqual({ ok: false, issues: [{ path: 'data.name', message: 'must be at most 20 characters' }] });
  });

  test("a removed field's value stays unless the write clears it; writing it is refused", () => {
    expect(prepareEntityData(fields, { active: true }, { name: 'A', legacy: 5 })).toMatchObject({ ok: true, data: { legacy: 5 } });
    const cleared = prepareEntityData(fields, { legacy: null }, { name: 'A', legacy: 5 });
    expect(cleared.ok && 'legacy' in cleared.data).toBe(false);
    expect(prepareEntityData(fields, { legacy: 6 }, { name: 'A', legacy: 5 })).toMatchObject({ ok: false });
  });

  test('oversized data is refused', () => {
    const big = [def('textarea', 'body', { max_length: 1_000_000 })];
    expect(prepareEntityData(big, { body: 'x'.repeat(600_000) }, null)).toMatchObject({ ok: false, issues: [{ path: 'data' }] });
  });
});

describe('stored data after a definition change', () => {
  test('audit reports what would fail now; stale keys are listed', () => {
    const stored = { name: 'x'.repeat(25), color: 'green', gone: 1 };
    expect(auditEntityData(fields, stored)).toEqual([
      { path: 'data.name', message: 'must be at most 20 characters' },
      { path: 'data.color', message: 'must be one of: red, blue' },
    ]);
    expect(staleDataKeys(fields, stored)).toEqual(['gone']);
    expect(auditEntityData(fields, { name: 'ok' })).toEqual([]);
  });

  test('diffFields names added, removed, retyped and tightened fields', () => {
    const after = [
      def('text', 'name', { required: true, max_length: 10 }),
      def('text', 'active'),
      def('select', 'color', { options: ['red', 'blue', 'green'] }),
      def('date', 'born'),
    ];
    expect(diffFields(fields, after)).toEqual({ added: ['born'], removed: ['docs'], retyped: ['active'], tightened: ['name'] });
    expect(diffFields(fields, fields)).toEqual({ added: [], removed: [], retyped: [], tightened: [] });
  });

  test.each([
    ['a text field retyped to file', [def('text', 'doc')], [def('file', 'doc')], ['doc']],
    ['a text field retyped to image', [def('text', 'doc')], [def('image', 'doc')], ['doc']],
    ['a file field added (old rows may hold the key)', [], [def('file', 'doc')], ['doc']],
    ['a file field retyped to image', [def('file', 'doc')], [def('image', 'doc')], []],
    ['a file field kept', [def('file', 'doc')], [def('file', 'doc')], []],
    ['a file field retyped to text', [def('file', 'doc')], [def('text', 'doc')], []],
    ['a text field added', [], [def('text', 'doc')], []],
  ])('keysBecomingFiles: %s', (_name, before, after, keys) => {
    expect(keysBecomingFiles(before, after)).toEqual(keys);
  });
});
