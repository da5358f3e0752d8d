import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * File URL tokens: `/files/<file uuid>/<variant>/<token>`, token = base64url(version ‖ [expiry] ‖ HMAC-SHA256).
 * The MAC (256 bits) covers the lower-case uuid, the variant and the expiry, under the server secret; the expiry
 * (whole seconds since the epoch) travels in the token so the URL alone can be checked.
 */
const VERSION_PERMANENT = 1;
const VERSION_EXPIRING = 2;
const MAC_BYTES = 32;
const EXPIRY_BYTES = 8;
/** At least this many bytes of server secret. */
export const MIN_SECRET_BYTES = 32;

export type UrlTokenClaims = Readonly<{ fileUuid: string; variant: string; expiresAt?: Date | null }>;

/** The one answer for any bad token (tampered, expired, other file or variant, other secret, malformed). */
export type UrlTokenCheck = Readonly<{ ok: true; expiresAt: Date | null }> | Readonly<{ ok: false }>;

const TOKEN_SHAPE = /^[A-Za-z0-9_-]+$/;

function assertSecret(secret: string | Uint8Array): void {
  const length = typeof secret === 'string' ? Buffer.byteLength(secret, 'utf8') : secret.byteLength;
  if (length < MIN_SECRET_BYTES) throw new RangeError(`URL signing secret must be at least ${MIN_SECRET_BYTES} bytes`);
}

function mac(secret: string | Uint8Array, fileUuid: string, variant: string, expirySeconds: number | null): Buffer {
  // JSON keeps the fields unambiguous whatever characters a variant holds
  const message = JSON.stringify(['pk-file-url', 1, fileUuid.toLowerCase(), variant, expirySeconds]);
  return createHmac('sha256', secret).update(message, 'utf8').digest();
}

/** Signs a URL token; `expiresAt` is rounded up to whole seconds (a URL never stops working before it was asked to). */
export function signUrlToken(claims: UrlTokenClaims, secret: string | Uint8Array): string {
  assertSecret(secret);
  const expiresAt = claims.expiresAt ?? null;
  if (expiresAt === null) {
    return Buffer.concat([Buffer.of(VERSION_PERMANENT), mac(secret, claims.fileUuid, claims.variant, null)]).toString(
      'base64url',
    );
  }
  const seconds = Math.ceil(expiresAt.getTime() / 1000);
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new RangeError('invalid expiresAt');
  const expiry = Buffer.alloc(EXPIRY_BYTES);
  expiry.writeBigUInt64BE(BigInt(seconds));
  return Buffer.concat([
    Buffer.of(VERSION_EXPIRING),
    expiry,
    mac(secret, claims.fileUuid, claims.variant, seconds),
  ]).toString('base64url');
}

/**
 * Checks a token against the uuid and variant of the URL, in constant time over the MAC. Every failure is the same
 * `{ ok: false }` so callers answer alike. `secrets`: the current secret first, then retired ones still honoured.
 */
export function verifyUrlToken(
  token: string,
  target: Readonly<{ fileUuid: string; variant: string }>,
  secrets: string | Uint8Array | ReadonlyArray<string | Uint8Array>,
  now: Date,
): UrlTokenCheck {
  const fail = { ok: false } as const;
  if (typeof token !== 'string' || token.length > 64 || !TOKEN_SHAPE.test(token)) return fail;
  const raw = Buffer.from(token, 'base64url');
  if (raw.toString('base64url') !== token) return fail; // non-canonical spelling of the same bytes
  const version = raw[0];
  let expirySeconds: number | null;
  let presented: Buffer;
  if (version === VERSION_PERMANENT && raw.length === 1 + MAC_BYTES) {
    expirySeconds = null;
    presented = raw.subarray(1);
  } else if (version === VERSION_EXPIRING && raw.length === 1 + EXPIRY_BYTES + MAC_BYTES) {
    const big = raw.readBigUInt64BE(1);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) return fail;
    expirySeconds = Number(big);
    presented = raw.subarray(1 + EXPIRY_BYTES);
  } else {
    return fail;
  }
  const list = Array.isArray(secrets) ? (secrets as ReadonlyArray<string | Uint8Array>) : [secrets as string | Uint8Array];
  let matched = false;
  for (const secret of list) {
    assertSecret(secret);
    // no early exit: the time taken does not tell which secret matched
    if (timingSafeEqual(presented, mac(secret, target.fileUuid, target.variant, expirySeconds))) matched = true;
  }
  if (!matched) return fail;
  if (expirySeconds !== null && now.getTime() >= expirySeconds * 1000) return fail;
  return { ok: true, expiresAt: expirySeconds === null ? null : new Date(expirySeconds * 1000) };
}

/** Longest variant name a file URL carries, URL-encoded (the serving route accepts no longer). */
export const MAX_VARIANT_PATH_CHARS = 100;

/**
 * Whether a variant name fits a file URL: 1 to MAX_VARIANT_PATH_CHARS characters once URL-encoded, no control
 * characters (no variant has one; PostgreSQL cannot even compare a NUL) and not `.` or `..` (URL parsers drop those
 * path segments, so such a URL would name another resource).
 */
export function isUrlVariant(variant: string): boolean {
  if (variant.length === 0 || variant === '.' || variant === '..' || /[\u0000-\u001f\u007f]/.test(variant)) return false;
  try {
    return encodeURIComponent(variant).length <= MAX_VARIANT_PATH_CHARS;
  } catch {
    return false; // a lone surrogate cannot be URL-encoded
  }
}

/** Longest lifetime a URL may be signed for: a year. */
export const MAX_URL_LIFETIME_SECONDS = 31_536_000;

/** Whether `seconds` is a lifetime a URL may be signed for: a whole number from 1 to MAX_URL_LIFETIME_SECONDS. */
export function isUrlLifetime(seconds: number): boolean {
  return Number.isInteger(seconds) && seconds >= 1 && seconds <= MAX_URL_LIFETIME_SECONDS;
}

/** Longest lifetime of a presigned URL a file URL redirects to. */
export const MAX_PRESIGNED_SECONDS = 300;

/**
 * Lifetime of the presigned URL a verified file URL redirects to: MAX_PRESIGNED_SECONDS, cut to what is left of the
 * file URL's own lifetime (whole seconds, at least 1), so the redirect never outlives the token that led to it.
 */
export function presignedLifetime(tokenExpiresAt: Date | null, now: Date): number {
  if (tokenExpiresAt === null) return MAX_PRESIGNED_SECONDS;
  return Math.min(MAX_PRESIGNED_SECONDS, Math.max(1, secondsLeft(tokenExpiresAt, now)));
}

/** Whole seconds from `now` to `expiresAt` (rounded down; negative once past). */
export const secondsLeft = (expiresAt: Date, now: Date): number => Math.floor((expiresAt.getTime() - now.getTime()) / 1000);

/** The path of a file URL (uuid lower-cased, variant percent-encoded). */
export function fileUrlPath(fileUuid: string, variant: string, token: string): string {
  return `/files/${fileUuid.toLowerCase()}/${encodeURIComponent(variant)}/${token}`;
}
