import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  decryptSecret,
  encryptSecret,
  isEncryptedSecret,
  openStoredSecret,
  parseSecretBoxKey,
  SecretBoxError,
  type SecretBoxProblem,
} from './secret-box.js';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);

const problemOf = (fn: () => unknown): SecretBoxProblem | 'none' => {
  try {
    fn();
    return 'none';
  } catch (error) {
    if (error instanceof SecretBoxError) return error.problem;
    throw error;
  }
};

describe('encryptSecret / decryptSecret', () => {
  test.each([[''], ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'], ['ünïcødé 🔑'], ['x'.repeat(10_000)]])(
    'round trip %#',
    (plain) => {
      const boxed = encryptSecret(plain, KEY);
      expect(boxed.startsWith('v1:')).toBe(true);
      expect(boxed).not.toContain(plain || '\u0000');
      expect(decryptSecret(boxed, KEY)).toBe(plain);
    },
  );

  test('a fresh IV every time', () => {
    expect(encryptSecret('same', KEY)).not.toBe(encryptSecret('same', KEY));
  });

  const boxed = encryptSecret('secret-access-key', KEY);
  const raw = Buffer.from(boxed.slice(3), 'base64url');
  const tweak = (index: number) => {
    const copy = Buffer.from(raw);
    copy[index]! ^= 0x01;
    return `v1:${copy.toString('base64url')}`;
  };

  test.each<[string, string, Buffer, SecretBoxProblem]>([
    ['flipped IV bit', tweak(0), KEY, 'tampered'],
    ['flipped ciphertext bit', tweak(13), KEY, 'tampered'],
    ['flipped tag bit', tweak(raw.length - 1), KEY, 'tampered'],
    ['another key', boxed, OTHER_KEY, 'tampered'],
    ['truncated', boxed.slice(0, 20), KEY, 'malformed'],
    ['no prefix', boxed.slice(3), KEY, 'malformed'],
    ['other version', `v2:${boxed.slice(3)}`, KEY, 'malformed'],
    ['not base64url', 'v1:!!!!', KEY, 'malformed'],
    ['empty', '', KEY, 'malformed'],
    ['short key', boxed, Buffer.alloc(16), 'invalid-key'],
  ])('%s → %s', (_name, value, key, problem) => {
    expect(problemOf(() => decryptSecret(value, key))).toBe(problem);
  });
});

describe('legacy plaintext', () => {
  test.each([
    ['v1:abc', true],
    ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', false],
    ['', false],
  ])('isEncryptedSecret(%j) → %s', (value, expected) => {
    expect(isEncryptedSecret(value)).toBe(expected);
  });

  test('openStoredSecret reads both and says when to re-encrypt', () => {
    expect(openStoredSecret('plain-old-secret', KEY)).toEqual({ plaintext: 'plain-old-secret', reencrypt: true });
    expect(openStoredSecret(encryptSecret('new', KEY), KEY)).toEqual({ plaintext: 'new', reencrypt: false });
    expect(() => openStoredSecret(encryptSecret('new', KEY), OTHER_KEY)).toThrow(SecretBoxError);
  });
});

describe('parseSecretBoxKey', () => {
  const key = randomBytes(32);
  test.each([
    ['hex', key.toString('hex')],
    ['upper-case hex', key.toString('hex').toUpperCase()],
    ['base64', key.toString('base64')],
    ['base64url', key.toString('base64url')],
    ['surrounding whitespace', ` ${key.toString('base64')}\n`],
  ])('%s', (_name, raw) => {
    expect(parseSecretBoxKey(raw)).toEqual(key);
  });

  test.each([[''], ['short'], ['ab'.repeat(31)], ['ab'.repeat(33)], [randomBytes(16).toString('base64')], ['z'.repeat(64)]])(
    'refuses %j',
    (raw) => {
      expect(problemOf(() => parseSecretBoxKey(raw))).toBe('invalid-key');
    },
  );
});
