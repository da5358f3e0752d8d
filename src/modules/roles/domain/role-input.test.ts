import { describe, expect, test } from 'vitest';
import {
  normalizeRoleDescription,
  normalizeRoleName,
  roleNameKey,
  validateRoleDescription,
  validateRoleName,
} from './role-input.js';

describe('role names', () => {
  test.each<[string, string, string | null]>([
    ['plain', 'Editor', null],
    ['trimmed', '  Editor  ', null],
    ['inner whitespace collapsed', 'Support \u00a0\t Agent', null],
    ['empty', '', 'is required'],
    ['only spaces', '   ', 'is required'],
    ['50 letters', 'a'.repeat(50), null],
    ['51 letters', 'a'.repeat(51), 'at most 50'],
    ['50 astral characters (100 UTF-16 units)', '😀'.repeat(50), null],
    ['51 astral characters', '😀'.repeat(51), 'at most 50'],
    ['Cyrillic and accents', 'Модератор é', null],
    ['NUL', 'Edi\u0000tor', 'invisible'],
    ['newline', 'Edi\ntor', null], // whitespace, collapsed to a space
    ['zero-width space', 'Owner\u200b', 'invisible'],
    ['bidi override', '\u202eEditor', 'invisible'],
    ['unpaired surrogate', 'Edi\ud800tor', 'invisible'],
    ['word joiner', 'Edi\u2060tor', 'invisible'],
  ])('%s', (_name, raw, expected) => {
    const issues = validateRoleName(normalizeRoleName(raw));
    if (expected === null) expect(issues).toEqual([]);
    else expect(issues[0]?.message).toContain(expected);
  });

  test.each([
    ['  Support \u00a0\t Agent ', 'Support Agent'],
    ['Edi\ntor', 'Edi tor'],
    ['\ufeffEdi\ufefftor', 'Edi tor'], // BOM counts as whitespace
    ['Cafe\u0301', 'Caf\u00e9'], // decomposed → composed (NFC)
  ])('normalizeRoleName(%j) → %j', (raw, expected) => expect(normalizeRoleName(raw)).toBe(expected));

  test('roleNameKey ignores case', () => {
    expect(roleNameKey('OWNER')).toBe(roleNameKey('owner'));
    expect(roleNameKey('Модератор')).toBe(roleNameKey('МОДЕРАТОР'));
  });
});

describe('role descriptions', () => {
  test.each<[string, string | null, string | null, string | null]>([
    ['absent', null, null, null],
    ['blank means none', '   ', null, null],
    ['trimmed', '  Writes posts ', 'Writes posts', null],
    ['multi-line kept', 'line one\nline two', 'line one\nline two', null],
    ['500 characters', 'd'.repeat(500), 'd'.repeat(500), null],
    ['501 characters', 'd'.repeat(501), 'd'.repeat(501), 'at most 500'],
    ['NUL', 'a\u0000b', 'a\u0000b', 'control'],
    ['unpaired surrogate', 'a\udc00b', 'a\udc00b', 'control'],
  ])('%s', (_name, raw, normalized, expected) => {
    const value = normalizeRoleDescription(raw);
    expect(value).toBe(normalized);
    const issues = validateRoleDescription(value);
    if (expected === null) expect(issues).toEqual([]);
    else expect(issues[0]?.message).toContain(expected);
  });
});
