import { describe, expect, test } from 'vitest';
import {
  fileUrlPath,
  isUrlLifetime,
  isUrlVariant,
  MAX_URL_LIFETIME_SECONDS,
  MAX_PRESIGNED_SECONDS,
  MAX_VARIANT_PATH_CHARS,
  presignedLifetime,
  signUrlToken,
  verifyUrlToken,
} from './url-token.js';

const SECRET = 'a-server-secret-of-at-least-32-bytes!!';
const OTHER_SECRET = 'another-server-secret-32-bytes-long!!!';
const FILE = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const OTHER_FILE = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
const NOW = new Date('2025-01-01T12:00:00Z');
const LATER = new Date('2025-01-01T13:00:00Z');

const permanent = signUrlToken({ fileUuid: FILE, variant: 'original' }, SECRET);
const expiring = signUrlToken({ fileUuid: FILE, variant: 'original', expiresAt: LATER }, SECRET);

/** Flips one bit of the decoded token and re-encodes it. */
function flip(token: string, byte: number): string {
  const raw = Buffer.from(token, 'base64url');
  raw[byte]! ^= 1;
  return raw.toString('base64url');
}

describe('signUrlToken', () => {
  test('tokens carry at least 128 bits of MAC and are URL-safe', () => {
    for (const token of [permanent, expiring]) {
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(token, 'base64url').length * 8).toBeGreaterThanOrEqual(128 + 8);
    }
  });
  test('deterministic for the same claims, different across files, variants, expiries and secrets', () => {
    expect(signUrlToken({ fileUuid: FILE, variant: 'original' }, SECRET)).toBe(permanent);
    const others = [
      signUrlToken({ fileUuid: OTHER_FILE, variant: 'original' }, SECRET),
      signUrlToken({ fileUuid: FILE, variant: 'thumbnail' }, SECRET),
      signUrlToken({ fileUuid: FILE, variant: 'original' }, OTHER_SECRET),
      expiring,
    ];
    expect(new Set([permanent, ...others]).size).toBe(5);
  });
  test('the uuid is case-insensitive', () => {
    expect(signUrlToken({ fileUuid: FILE.toUpperCase(), variant: 'original' }, SECRET)).toBe(permanent);
  });
  test('refuses a short secret', () => {
    expect(() => signUrlToken({ fileUuid: FILE, variant: 'original' }, 'short')).toThrow(RangeError);
  });
});

describe('verifyUrlToken', () => {
  const target = { fileUuid: FILE, variant: 'original' };
  test.each<[string, string, { fileUuid: string; variant: string }, string | string[], Date, boolean]>([
    ['permanent token', permanent, target, SECRET, NOW, true],
    ['permanent token far in the future', permanent, target, SECRET, new Date('2999-01-01'), true],
    ['expiring token before expiry', expiring, target, SECRET, NOW, true],
    ['upper-case uuid in the URL', permanent, { ...target, fileUuid: FILE.toUpperCase() }, SECRET, NOW, true],
    ['retired secret still honoured', signUrlToken(target, OTHER_SECRET), target, [SECRET, OTHER_SECRET], NOW, true],
    ['expired (at the instant)', expiring, target, SECRET, LATER, false],
    ['expired (after)', expiring, target, SECRET, new Date(LATER.getTime() + 1000), false],
    ['foreign file', permanent, { ...target, fileUuid: OTHER_FILE }, SECRET, NOW, false],
    ['foreign variant', permanent, { ...target, variant: 'thumbnail' }, SECRET, NOW, false],
    ['foreign secret', permanent, target, OTHER_SECRET, NOW, false],
    ['tampered MAC', flip(permanent, 10), target, SECRET, NOW, false],
    ['tampered version', flip(permanent, 0), target, SECRET, NOW, false],
    ['tampered expiry (extended)', flip(expiring, 8), target, SECRET, NOW, false],
    ['expiry stripped (made permanent)', Buffer.concat([Buffer.of(1), Buffer.from(expiring, 'base64url').subarray(9)]).toString('base64url'), target, SECRET, NOW, false],
    ['truncated', permanent.slice(0, -2), target, SECRET, NOW, false],
    ['extended', `${permanent}AA`, target, SECRET, NOW, false],
    ['empty', '', target, SECRET, NOW, false],
    ['padding', `${permanent}=`, target, SECRET, NOW, false],
    ['non-base64url characters', permanent.replace(/.$/, '+'), target, SECRET, NOW, false],
    ['very long', 'A'.repeat(10_000), target, SECRET, NOW, false],
    ['path traversal', '../../etc/passwd', target, SECRET, NOW, false],
    ['old 4-hex MD5 token', 'a1b2', target, SECRET, NOW, false],
  ])('%s → %s', (_name, token, claims, secrets, now, ok) => {
    const result = verifyUrlToken(token, claims, secrets, now);
    expect(result.ok).toBe(ok);
    if (!ok) expect(result).toEqual({ ok: false }); // one failure kind for all
  });

  test('reports the expiry of a good token', () => {
    expect(verifyUrlToken(expiring, target, SECRET, NOW)).toEqual({ ok: true, expiresAt: LATER });
    expect(verifyUrlToken(permanent, target, SECRET, NOW)).toEqual({ ok: true, expiresAt: null });
  });

  test.each([
    ['a whole second', '2025-01-01T12:00:10.000Z', '2025-01-01T12:00:10.000Z'],
    ['a millisecond past a second (rounded up)', '2025-01-01T12:00:10.001Z', '2025-01-01T12:00:11.000Z'],
    ['just before the next second (rounded up)', '2025-01-01T12:00:10.999Z', '2025-01-01T12:00:11.000Z'],
  ])('expiry is kept to the second, never earlier than asked: %s', (_name, asked, kept) => {
    const token = signUrlToken({ ...target, expiresAt: new Date(asked) }, SECRET);
    const end = new Date(kept).getTime();
    expect(verifyUrlToken(token, target, SECRET, new Date(new Date(asked).getTime() - 1)).ok).toBe(true);
    expect(verifyUrlToken(token, target, SECRET, new Date(end - 1))).toEqual({ ok: true, expiresAt: new Date(end) });
    expect(verifyUrlToken(token, target, SECRET, new Date(end)).ok).toBe(false);
  });

  test('a variant cannot smuggle fields', () => {
    const token = signUrlToken({ fileUuid: FILE, variant: 'a","b' }, SECRET);
    expect(verifyUrlToken(token, { fileUuid: FILE, variant: 'a' }, SECRET, NOW).ok).toBe(false);
    expect(verifyUrlToken(token, { fileUuid: FILE, variant: 'a","b' }, SECRET, NOW).ok).toBe(true);
  });
});

describe('fileUrlPath', () => {
  test.each([
    [FILE, 'original', 'tok', `/files/${FILE}/original/tok`],
    [FILE.toUpperCase(), 'thumbnail', 'tok', `/files/${FILE}/thumbnail/tok`],
    [FILE, 'a/b c', 'tok', `/files/${FILE}/a%2Fb%20c/tok`],
  ])('%s %s', (uuid, variant, token, expected) => {
    expect(fileUrlPath(uuid, variant, token)).toBe(expected);
  });
});

describe('isUrlVariant', () => {
  test.each([
    ['original', true],
    ['', false],
    ['a'.repeat(MAX_VARIANT_PATH_CHARS), true],
    ['a'.repeat(MAX_VARIANT_PATH_CHARS + 1), false],
    ['é'.repeat(16), true], // 96 characters encoded
    ['é'.repeat(17), false], // 102
    ['a/b', true],
    ['\ud800', false],
    ['thumb\udfff', false],
    ['\u0000', false],
    ['thumb\u0000', false],
    ['thumb\n', false],
    ['\u007f', false],
    ['.', false],
    ['..', false],
    ['...', true],
    ['.thumb', true],
  ])('%j → %s', (variant, expected) => expect(isUrlVariant(variant)).toBe(expected));
});

describe('isUrlLifetime', () => {
  test.each([
    [1, true],
    [3600, true],
    [MAX_URL_LIFETIME_SECONDS, true],
    [MAX_URL_LIFETIME_SECONDS + 1, false],
    [0, false],
    [-5, false],
    [1.5, false],
    [Number.NaN, false],
    [2_147_483_647, false],
  ])('%d → %s', (seconds, expected) => expect(isUrlLifetime(seconds)).toBe(expected));
});

describe('presignedLifetime', () => {
  const now = new Date('2025-01-01T12:00:00.000Z');
  const inSeconds = (s: number) => new Date(now.getTime() + s * 1000);
  test.each([
    ['a permanent URL', null, MAX_PRESIGNED_SECONDS],
    ['a URL valid for an hour', inSeconds(3600), MAX_PRESIGNED_SECONDS],
    ['exactly the longest', inSeconds(MAX_PRESIGNED_SECONDS), MAX_PRESIGNED_SECONDS],
    ['20 s left', inSeconds(20), 20],
    ['20.9 s left (rounded down)', inSeconds(20.9), 20],
    ['half a second left (at least 1)', inSeconds(0.5), 1],
  ])('%s → %d s', (_label, expiresAt, expected) => expect(presignedLifetime(expiresAt, now)).toBe(expected));
});
