import { describe, expect, test } from 'vitest';
import { escapeLike, isStorableText } from './text.js';

describe('isStorableText', () => {
  test.each<[string, string, boolean]>([
    ['plain text', 'hello', true],
    ['emoji (a surrogate pair)', 'a😀b', true],
    ['NUL', 'a\u0000b', false],
    ['a lone high surrogate', 'a\ud800', false],
    ['a lone low surrogate', '\udc00a', false],
  ])('%s', (_name, value, storable) => {
    expect(isStorableText(value)).toBe(storable);
  });
});

describe('escapeLike', () => {
  test.each([
    ['plain', 'plain'],
    ['50%', '50\\%'],
    ['a_b', 'a\\_b'],
    ['back\\slash', 'back\\\\slash'],
    ['%_\\', '\\%\\_\\\\'],
  ])('%s', (text, escaped) => {
    expect(escapeLike(text)).toBe(escaped);
  });
});
