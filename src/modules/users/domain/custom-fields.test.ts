import { describe, expect, test } from 'vitest';
import { CUSTOM_FIELDS_MAX_KEYS, validateCustomField } from './custom-fields.js';

const many = Array.from({ length: CUSTOM_FIELDS_MAX_KEYS }, (_, i) => `k${i}`);

describe('validateCustomField', () => {
  test.each([
    ['plain string', 'nickname', 'Bob', [], []],
    ['object value', 'prefs', { theme: 'dark' }, [], []],
    ['null value', 'avatar_file_uuid', null, [], []],
    ['overwrite at the key limit', 'k0', 1, many, []],
    ['upper case key', 'Nick', 'x', [], ['key']],
    ['leading digit', '1st', 'x', [], ['key']],
    ['dotted key', 'a.b', 'x', [], ['key']],
    ['empty key', '', 'x', [], ['key']],
    ['65-char key', `a${'b'.repeat(64)}`, 'x', [], ['key']],
    ['missing value', 'nickname', undefined, [], ['value']],
    ['oversize value', 'blob', 'x'.repeat(17_000), [], ['value']],
    ['one key too many', 'new_key', 1, many, ['key']],
    ['a NUL in a string value', 'note', 'a\u0000b', [], ['value']],
    ['a lone surrogate deep in the value', 'prefs', { a: ['\ud800'] }, [], ['value.a.0']],
    ['a NUL in a key of the value', 'prefs', { 'k\u0000': 1 }, [], ['value']],
  ])('%s', (_name, key, value, existing, paths) => {
    expect(validateCustomField(key, value, existing).map((i) => i.path)).toEqual(paths);
  });
});
