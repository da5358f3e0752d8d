import { hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWhole } from '../util/create-whole.js';

/** Keys derived from the one root secret, each for a single purpose. */
export type Secrets = Readonly<{ fileUrlKey: Buffer; bucketSecretKey: Buffer }>;

export function deriveSecrets(secretKeyBase: string): Secrets {
  const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', secretKeyBase, 'phoenix_kit', purpose, 32));
  return { fileUrlKey: derive('file-url-tokens'), bucketSecretKey: derive('bucket-secret-keys') };
}

const MIN_SECRET_CHARS = 32;

/** The stored secret, refused when it cannot be one (empty or short: made by an older, interrupted start). */
function readStored(path: string): string {
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < MIN_SECRET_CHARS) {
    throw new Error(
      `${path} holds no usable secret (under ${MIN_SECRET_CHARS} characters). Remove it to have a new one made ` +
        '(file URLs signed with any earlier one stop working), or set SECRET_KEY_BASE',
    );
  }
  return secret;
}

/**
 * The root secret from config, or the one generated on first start into `dataDir/secret_key_base` (mode 600), so
 * `npm start` needs no setup and tokens survive restarts. The file appears whole or not at all (written aside, then
 * linked into place), so a start interrupted halfway or a second process starting at once never reads it empty.
 */
export function loadOrCreateSecretKeyBase(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const path = join(dataDir, 'secret_key_base');
  if (existsSync(path)) return readStored(path);
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  if (createWhole(path, `${secret}\n`, 0o600)) {
    chmodSync(path, 0o600);
    return secret;
  }
  return readStored(path); // another process made it first: use theirs
}
