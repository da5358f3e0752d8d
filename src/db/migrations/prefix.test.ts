import { describe, expect, test } from 'vitest';
import { InvalidPrefixError, quoteIdent, validatePrefix } from './prefix.js';

describe('validatePrefix', () => {
  test.each([['public'], ['tenant_a'], ['_x'], ['a1_2'], ['a'.repeat(20)]])('accepts %s', (prefix) => {
    expect(validatePrefix(prefix)).toBe(prefix);
  });

  test.each([
    ['empty', ''],
    ['upper case', 'Tenant'],
    ['leading digit', '1tenant'],
    ['hyphen', 'tenant-a'],
    ['quote injection', 'a"; DROP SCHEMA public; --'],
    ['dot', 'a.b'],
    ['space', 'a b'],
    ['21 bytes', 'a'.repeat(21)],
    ['non-ascii', 'tenänt'],
    ['NUL', 'a\u0000'],
  ])('refuses %s', (_name, prefix) => {
    expect(() => validatePrefix(prefix)).toThrow(InvalidPrefixError);
  });
});

test('quoteIdent doubles embedded quotes', () => {
  expect(quoteIdent('public')).toBe('"public"');
  expect(quoteIdent('a"b')).toBe('"a""b"');
});
