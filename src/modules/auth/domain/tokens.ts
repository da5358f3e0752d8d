import { createHash, randomBytes } from 'node:crypto';

/** What a token is for; `change:<old email>` carries the address being replaced. */
export type TokenContext =
  | 'session'
  | 'confirm'
  | 'reset_password'
  | 'magic_link'
  | 'magic_link_registration'
  | `change:${string}`;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Lifetimes from the reference: session 60 d, confirm 7 d, reset 1 h, change email 7 d, magic link 15 min, registration link 30 min. */
export function tokenLifetimeMs(context: TokenContext): number {
  if (context.startsWith('change:')) return 7 * DAY;
  switch (context) {
    case 'session':
      return 60 * DAY;
    case 'confirm':
      return 7 * DAY;
    case 'reset_password':
      return HOUR;
    case 'magic_link':
      return 15 * MINUTE;
    case 'magic_link_registration':
      return 30 * MINUTE;
    default:
      throw new Error(`unknown token context ${context}`);
  }
}

export function isTokenLive(context: TokenContext, insertedAt: Date, now: Date): boolean {
  return now.getTime() - insertedAt.getTime() < tokenLifetimeMs(context);
}

const RAW_TOKEN = /^[A-Za-z0-9_-]{43}$/; // 32 random bytes, base64url without padding

/** SHA-256 of a raw token: the only form that is stored. */
export type TokenHash = Uint8Array<ArrayBuffer>;

/** A new random token: the raw value goes to the user, only its SHA-256 is stored. */
export function newToken(): { raw: string; hash: TokenHash } {
  const raw = randomBytes(32).toString('base64url');
  return { raw, hash: sha256(raw) };
}

/** The stored form of a raw token, or null when the input cannot be a token (so it is never looked up). */
export function hashToken(raw: string): TokenHash | null {
  return RAW_TOKEN.test(raw) ? sha256(raw) : null;
}

function sha256(value: string): TokenHash {
  return new Uint8Array(createHash('sha256').update(value, 'utf8').digest());
}

/** Lower-hex SHA-256 of a User-Agent header, as stored with a session ("unknown" when absent). */
export function userAgentHash(userAgent: string | null): string {
  return userAgent ? createHash('sha256').update(userAgent, 'utf8').digest('hex') : 'unknown';
}

export type FingerprintVerdict = 'ok' | 'ip_mismatch' | 'user_agent_mismatch' | 'fingerprint_mismatch';

/** Compares a session's stored fingerprint with the current request; a missing stored part counts as matching. */
export function compareFingerprint(
  stored: { ipAddress: string | null; userAgentHash: string | null },
  current: { ipAddress: string; userAgentHash: string },
): FingerprintVerdict {
  const ipDiffers = stored.ipAddress !== null && stored.ipAddress !== current.ipAddress;
  const uaDiffers = stored.userAgentHash !== null && stored.userAgentHash !== current.userAgentHash;
  if (ipDiffers && uaDiffers) return 'fingerprint_mismatch';
  if (ipDiffers) return 'ip_mismatch';
  if (uaDiffers) return 'user_agent_mismatch';
  return 'ok';
}
