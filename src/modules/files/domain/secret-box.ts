import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Bucket secret keys at rest: `v1:` + base64url(12-byte IV ‖ AES-256-GCM ciphertext ‖ 16-byte tag). The prefix
 * tells encrypted values from legacy plaintext ones (which are re-encrypted on the next write) and leaves room for
 * another scheme later.
 */
export const SECRET_BOX_PREFIX = 'v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export type SecretBoxProblem = 'invalid-key' | 'malformed' | 'tampered';

export class SecretBoxError extends Error {
  readonly code = 'SECRET_BOX_ERROR';
  constructor(readonly problem: SecretBoxProblem) {
    super(
      problem === 'invalid-key'
        ? 'Encryption key must be 32 bytes (64 hex characters or base64)'
        : problem === 'malformed'
          ? 'Encrypted secret is malformed'
          : 'Encrypted secret failed authentication (tampered, or another key)',
    );
    this.name = 'SecretBoxError';
  }
}

/** Reads the key from config: 64 hex characters, or base64 / base64url of 32 bytes. */
export function parseSecretBoxKey(raw: string): Buffer {
  const value = raw.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) key = Buffer.from(value.replace(/=$/, ''), 'base64url');
  if (!key || key.length !== KEY_BYTES) throw new SecretBoxError('invalid-key');
  return key;
}

function assertKey(key: Uint8Array): void {
  if (key.byteLength !== KEY_BYTES) throw new SecretBoxError('invalid-key');
}

/** True for values written by `encryptSecret`; anything else stored in the column is legacy plaintext. */
export function isEncryptedSecret(value: string): boolean {
  return value.startsWith(SECRET_BOX_PREFIX);
}

export function encryptSecret(plaintext: string, key: Uint8Array): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return SECRET_BOX_PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** Decrypts a `v1:` value; throws `SecretBoxError` ('malformed' or 'tampered') rather than return wrong text. */
export function decryptSecret(boxed: string, key: Uint8Array): string {
  assertKey(key);
  if (!isEncryptedSecret(boxed)) throw new SecretBoxError('malformed');
  const encoded = boxed.slice(SECRET_BOX_PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) throw new SecretBoxError('malformed');
  const raw = Buffer.from(encoded, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('malformed');
  const iv = raw.subarray(0, IV_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new SecretBoxError('tampered');
  }
}

/** The plaintext of a stored value, whether encrypted or legacy plaintext; `reencrypt` tells the caller to rewrite it. */
export function openStoredSecret(stored: string, key: Uint8Array): { plaintext: string; reencrypt: boolean } {
  return isEncryptedSecret(stored)
    ? { plaintext: decryptSecret(stored, key), reencrypt: false }
    : { plaintext: stored, reencrypt: true };
}
