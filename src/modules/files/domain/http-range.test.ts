import { describe, expect, test } from 'vitest';
import { decideRange, etagMatches, fileCacheControl, ifMatchHolds, ifRangeHolds } from './http-range.js';

describe('decideRange', () => {
  test.each([
    ['no header', null, 100, { kind: 'full' }],
    ['first byte', 'bytes=0-0', 100, { kind: 'partial', start: 0, end: 0 }],
    ['last byte', 'bytes=99-99', 100, { kind: 'partial', start: 99, end: 99 }],
    ['middle', 'bytes=10-19', 100, { kind: 'partial', start: 10, end: 19 }],
    ['open-ended', 'bytes=90-', 100, { kind: 'partial', start: 90, end: 99 }],
    ['end clamped', 'bytes=90-500', 100, { kind: 'partial', start: 90, end: 99 }],
    ['suffix', 'bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['suffix larger than the object', 'bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
    ['start past the end', 'bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['zero suffix', 'bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['empty object', 'bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['the last byte of an empty object: the whole, empty object', 'bytes=-1', 0, { kind: 'full' }],
    ['a zero suffix of an empty object', 'bytes=-0', 0, { kind: 'unsatisfiable' }],
    ['end before start', 'bytes=20-10', 100, { kind: 'full' }],
    ['several ranges', 'bytes=0-1,5-6', 100, { kind: 'full' }],
    ['other unit', 'items=0-1', 100, { kind: 'full' }],
    ['garbage', 'bytes=abc', 100, { kind: 'full' }],
    ['the unit in another case', 'Bytes=10-19', 100, { kind: 'partial', start: 10, end: 19 }],
    ['empty list elements', 'bytes=, 10-19 ,', 100, { kind: 'partial', start: 10, end: 19 }],
    ['only empty elements', 'bytes=,', 100, { kind: 'full' }],
    ['several ranges among empty elements', 'bytes=0-1,,5-6', 100, { kind: 'full' }],
    ['a space inside a range', 'bytes=10 -19', 100, { kind: 'full' }],
    ['no range set', 'bytes=', 100, { kind: 'full' }],
  ])('%s', (_name, header, size, expected) => expect(decideRange(header, size)).toEqual(expected));
});

describe('etagMatches', () => {
  test.each([
    [null, '"abc"', false],
    ['"abc"', '"abc"', true],
    ['W/"abc"', '"abc"', true],
    ['"x", "abc"', '"abc"', true],
    ['*', '"abc"', true],
    ['"abd"', '"abc"', false],
  ])('%s vs %s', (header, etag, expected) => expect(etagMatches(header, etag)).toBe(expected));
});

describe('ifMatchHolds', () => {
  test.each([
    [null, '"abc"', true],
    ['"abc"', '"abc"', true],
    ['"x", "abc"', '"abc"', true],
    [' "abc" ', '"abc"', true],
    ['*', '"abc"', true],
    ['"abd"', '"abc"', false],
    ['W/"abc"', '"abc"', false],
    ['"abc"', 'W/"abc"', false],
    ['', '"abc"', false],
  ])('If-Match %s vs %s', (header, etag, expected) => expect(ifMatchHolds(header, etag)).toBe(expected));
});

describe('ifRangeHolds', () => {
  test.each([
    [null, '"abc"', true],
    ['"abc"', '"abc"', true],
    [' "abc" ', '"abc"', true],
    ['"abd"', '"abc"', false],
    ['W/"abc"', '"abc"', false],
    ['"abc"', 'W/"abc"', false],
    ['Tue, 24 Nov 2026 08:00:00 GMT', '"abc"', false],
    ['*', '"abc"', false],
    ['', '"abc"', false],
  ])('If-Range %s vs %s', (header, etag, expected) => expect(ifRangeHolds(header, etag)).toBe(expected));
});

describe('fileCacheControl', () => {
  const now = new Date('2025-01-01T12:00:00.000Z');
  const inSeconds = (s: number) => new Date(now.getTime() + s * 1000);
  test.each<[string, string, Date | null, string]>([
    ['an original, URL without expiry', 'original', null, 'private, max-age=31536000, immutable'],
    ['an original, URL for 60 s', 'original', inSeconds(60), 'private, max-age=60, immutable'],
    ['an original, URL for 59.9 s (rounded down)', 'original', inSeconds(59.9), 'private, max-age=59, immutable'],
    ['an original, URL for two years (capped)', 'original', inSeconds(2 * 31_536_000), 'private, max-age=31536000, immutable'],
    ['an original, URL in its last half second', 'original', inSeconds(0.5), 'private, max-age=0, immutable'],
    ['a variant, URL without expiry', 'thumbnail', null, 'private, no-cache'],
    ['a variant, URL for 60 s', 'thumbnail', inSeconds(60), 'private, no-cache'],
  ])('%s', (_label, variant, expiresAt, expected) => expect(fileCacheControl(variant, expiresAt, now)).toBe(expected));
});
