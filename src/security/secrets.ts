import { hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Keys derived from the one root secret, each for a single purpose. */
export type Secrets = Readonly<{ fileUrlKey: Buffer; bucketSecretKey: Buffer }>;

export function deriveSecrets(secretKeyBase: string): Secrets {
  const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', secretKeyBase, 'phoenix_kit', purpose, 32));
  return { fileUrlKey: derive('file-url-tokens'), bucketSecretKey: derive('bucket-secret-keys') };
}

/**
 * The root secret from config, or the one generated on first start into `dataDir/secret_key_base` (mode 600), so
 * `npm start` needs no setup and tokens survive restarts.
 */
export function loadOrCreateSecretKeyBase(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const path = join(dataDir, 'secret_key_base');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    return secret;
  } catch (error) {
    // another process created it first: use theirs
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8').trim();
    throw error;
  }
}
