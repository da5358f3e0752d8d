import { secondsLeft } from './url-token.js';

/** A single `Range: bytes=…` request resolved against the object size (RFC 9110 §14). */
export type RangeDecision =
  | Readonly<{ kind: 'full' }>
  | Readonly<{ kind: 'partial'; start: number; end: number }>
  | Readonly<{ kind: 'unsatisfiable' }>;

/**
 * `bytes=a-b`, `bytes=a-` and `bytes=-n` are honoured (the unit in any case, empty list elements and spaces around
 * them skipped, as the RFC's list syntax allows); a malformed header or several ranges are ignored (the whole object
 * is sent, as the RFC allows); a range starting past the end is unsatisfiable (416).
 */
export function decideRange(header: string | null, size: number): RangeDecision {
  const set = header ? /^bytes=(.*)$/i.exec(header.trim())?.[1] : undefined;
  const ranges = (set ?? '').split(',').map((element) => element.trim()).filter((element) => element !== '');
  const match = ranges.length === 1 ? /^(\d*)-(\d*)$/.exec(ranges[0]!) : null;
  if (!match) return { kind: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    // the last n bytes of nothing are the whole (empty) object; no Content-Range can name them, so it is sent whole
    if (size === 0) return { kind: 'full' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' };
  if (end < start) return { kind: 'full' };
  return { kind: 'partial', start, end };
}

/** Whether an If-None-Match header matches the entity tag (weak comparison, `*` matches anything). */
export function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((candidate) => {
    const c = candidate.trim();
    return c === '*' || c.replace(/^W\//, '') === bare;
  });
}

/**
 * Whether an If-Match header lets the request go on (RFC 9110 §13.1.1): absent, `*`, or the same strong entity tag
 * among those listed; otherwise the answer is 412.
 */
export function ifMatchHolds(ifMatch: string | null, etag: string): boolean {
  if (ifMatch === null) return true;
  return ifMatch.split(',').some((candidate) => {
    const c = candidate.trim();
    return c === '*' || (!c.startsWith('W/') && !etag.startsWith('W/') && c === etag);
  });
}

/**
 * Whether a Range header may be honoured under `If-Range` (RFC 9110 §13.1.5): absent, or the same strong entity tag.
 * A weak tag or a date (no Last-Modified is sent, so none can match) means the client's partial copy may be of other
 * bytes: the whole object is sent instead.
 */
export function ifRangeHolds(ifRange: string | null, etag: string): boolean {
  if (ifRange === null) return true;
  const candidate = ifRange.trim();
  return !candidate.startsWith('W/') && !etag.startsWith('W/') && candidate === etag;
}

/** How long an original's bytes may be cached when its URL does not expire: a year, immutable. */
const ORIGINAL_MAX_AGE = 31_536_000;

/**
 * `Cache-Control` of a file URL's answer. An original's bytes never change under its URL: cached as immutable, for a
 * year or, for a URL that expires, only until then (a cache keeps nothing the URL no longer grants). A variant may be
 * rendered again under the same URL (new ETag): `no-cache`, revalidated each time.
 */
export function fileCacheControl(variant: string, urlExpiresAt: Date | null, now: Date): string {
  if (variant !== 'original') return 'private, no-cache';
  if (urlExpiresAt === null) return `private, max-age=${ORIGINAL_MAX_AGE}, immutable`;
  return `private, max-age=${Math.max(0, Math.min(ORIGINAL_MAX_AGE, secondsLeft(urlExpiresAt, now)))}, immutable`;
}
