import { describe, expect, test } from 'vitest';
import { unstorableTextAt } from './text-inputs.js';

describe('unstorableTextAt', () => {
  test.each<[string, Record<string, unknown>, string | null]>([
    ['no variables', {}, null],
    ['plain text, emoji and RTL', { a: 'é 😀 שלום', b: ['x', { c: 'y' }] }, null],
    ['NUL in a variable', { email: 'a\u0000b' }, '$email'],
    ['NUL deep in an input object', { input: { fields: [{ value: 'ok' }, { value: '\u0000' }] } }, '$input.fields.1.value'],
    ['a lone high surrogate', { s: 'a\ud800' }, '$s'],
    ['a lone low surrogate', { s: '\udc00b' }, '$s'],
    ['NUL in an object key', { json: { 'k\u0000': 1 } }, '$json'],
    ['numbers, booleans and null are not text', { n: 1, b: true, z: null }, null],
    ['a class instance (an upload) is not walked', { file: Object.assign(new (class Upload {})(), { name: '\u0000' }) }, null],
  ])('%s', (_name, variables, at) => {
    expect(unstorableTextAt(variables)).toBe(at);
  });

  test('only the named (declared) variables are walked', () => {
    expect(unstorableTextAt({ declared: 'ok', other: 'a\u0000' }, ['declared'])).toBeNull();
    expect(unstorableTextAt({ declared: 'a\u0000', other: 'ok' }, ['declared'])).toBe('$declared');
  });

  test('a value nested 100,000 levels deep is walked without recursion', () => {
    let value: unknown = 'a\u0000';
    for (let i = 0; i < 100_000; i++) value = [value];
    expect(unstorableTextAt({ v: value })).toMatch(/^\$v(\.0)+$/);
  });
});
