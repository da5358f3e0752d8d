import { describe, expect, test } from 'vitest';
import {
  assertStorageKey,
  InvalidStorageKeyError,
  keyProblem,
  MAX_KEY_BYTES,
  normalizeKey,
  storageKey,
  type StorageKeyProblem,
} from './storage-key.js';

const e = '\u0065\u0301'; // "é" decomposed (NFD)

describe('normalizeKey accepts clean keys', () => {
  test.each([
    ['a', 'a'],
    ['12/a1/9f86d081884c7d65/original.jpg', '12/a1/9f86d081884c7d65/original.jpg'],
    ['.hidden/..dots/...', '.hidden/..dots/...'],
    ['name with spaces/+&=;,@!$~', 'name with spaces/+&=;,@!$~'],
    ['ünïcødé/文件/файл.bin', 'ünïcødé/文件/файл.bin'],
    ['emoji/🙂.png', 'emoji/🙂.png'],
    [`caf${e}`, 'caf\u00e9'], // NFC
    ['x'.repeat(255), 'x'.repeat(255)],
    [`${'x'.repeat(255)}/${'y'.repeat(255)}/${'z'.repeat(255)}/${'w'.repeat(255)}`, null], // 1023 bytes
    ['C/relative', 'C/relative'],
  ])('%j', (raw, expected) => {
    expect(normalizeKey(raw)).toBe(expected ?? raw);
  });
});

describe('normalizeKey refuses hostile or malformed keys', () => {
  test.each<[string, string, StorageKeyProblem]>([
    ['empty', '', 'empty'],
    ['parent', '..', 'dot-segment'],
    ['parent prefix', '../etc/passwd', 'dot-segment'],
    ['parent inside', 'a/../../b', 'dot-segment'],
    ['current dir', 'a/./b', 'dot-segment'],
    ['trailing parent', 'a/..', 'dot-segment'],
    ['percent-encoded parent', '%2e%2e/secret', 'percent'],
    ['percent-encoded slash', 'a%2fb', 'percent'],
    ['double-encoded', '%252e%252e', 'percent'],
    ['absolute', '/etc/passwd', 'absolute'],
    ['UNC', '//server/share', 'absolute'],
    ['windows backslash traversal', '..\\..\\windows', 'backslash'],
    ['windows path', 'C:\\Windows\\system32', 'backslash'],
    ['windows drive forward slashes', 'C:/Windows', 'drive-letter'],
    ['drive relative', 'c:file', 'drive-letter'],
    ['NUL', 'a\u0000b', 'control-char'],
    ['NUL hiding a dot segment', '..\u0000/x', 'control-char'],
    ['newline', 'a\nb', 'control-char'],
    ['DEL', 'a\u007fb', 'control-char'],
    ['C1 control', 'a\u0085b', 'control-char'],
    ['empty segment', 'a//b', 'empty-segment'],
    ['trailing slash', 'a/', 'empty-segment'],
    ['lone high surrogate', 'a\ud800b', 'invalid-unicode'],
    ['lone low surrogate', 'a\udc00', 'invalid-unicode'],
    ['segment over 255 bytes', 'é'.repeat(128), 'segment-too-long'],
    ['key over 1024 bytes', Array.from({ length: 5 }, () => 'x'.repeat(250)).join('/'), 'too-long'],
    ['very long', '../'.repeat(100_000), 'too-long'],
  ])('%s', (_name, raw, problem) => {
    expect(keyProblem(raw)).toBe(problem);
    expect(() => normalizeKey(raw)).toThrow(InvalidStorageKeyError);
    try {
      normalizeKey(raw);
    } catch (error) {
      expect((error as InvalidStorageKeyError).problem).toBe(problem);
      expect((error as InvalidStorageKeyError).code).toBe('INVALID_STORAGE_KEY');
    }
  });

  test('1024 bytes is the limit', () => {
    const key = ['a'.repeat(255), 'b'.repeat(255), 'c'.repeat(255), 'd'.repeat(254), 'e'].join('/');
    expect(Buffer.byteLength(key)).toBe(MAX_KEY_BYTES);
    expect(normalizeKey(key)).toBe(key);
    expect(keyProblem(`${key}x`)).toBe('too-long');
  });

  test('non-strings are refused', () => {
    expect(keyProblem(undefined as unknown as string)).toBe('empty');
    expect(keyProblem(42 as unknown as string)).toBe('empty');
  });
});

describe('storageKey joins parts', () => {
  test.each([
    [['a', 'b', 'c.txt'], 'a/b/c.txt'],
    [['prefix/x', 'file'], 'prefix/x/file'],
    [['ü', `${e}.txt`], 'ü/\u00e9.txt'],
  ])('%j → %s', (parts, expected) => {
    expect(storageKey(...parts)).toBe(expected);
  });

  test.each([[[]], [['a', '']], [['a', '..', 'b']], [['a/', 'b']], [['/a', 'b']], [['a', 'b\\c']]])(
    'refuses %j',
    (parts) => {
      expect(() => storageKey(...parts)).toThrow(InvalidStorageKeyError);
    },
  );
});

describe('assertStorageKey (what drivers run on every key)', () => {
  test('accepts a normalised key', () => {
    expect(() => assertStorageKey(normalizeKey('a/b'))).not.toThrow();
  });
  test.each([['../x'], ['a\u0000'], [`caf${e}`], ['/abs']])('refuses %j even when cast', (raw) => {
    expect(() => assertStorageKey(raw)).toThrow(InvalidStorageKeyError);
  });
});
