import { fileUrlPath, signUrlToken, verifyUrlToken, type UrlTokenCheck } from './domain/url-token.js';

/** Non-expiring URLs kept (they never change for a given secret): listings sign each variant once, not per request. */
const REMEMBERED_URLS = 10_000;

/** Token URLs for file variants: `<PUBLIC_URL>/files/<uuid>/<variant>/<token>`, HMAC-signed, optionally expiring. */
export function createFileUrls({ secret, publicUrl }: { secret: Buffer; publicUrl: string }) {
  const sign = (fileUuid: string, variant: string, expiresAt: Date | null) =>
    `${publicUrl}${fileUrlPath(fileUuid, variant, signUrlToken({ fileUuid, variant, expiresAt }, secret))}`;
  // insertion-ordered: when full, the oldest entry goes
  const remembered = new Map<string, string>();
  return {
    url(fileUuid: string, variant: string, expiresAt: Date | null = null): string {
      if (expiresAt) return sign(fileUuid, variant, expiresAt);
      const key = `${fileUuid}/${variant}`;
      let url = remembered.get(key);
      if (url === undefined) {
        url = sign(fileUuid, variant, null);
        if (remembered.size >= REMEMBERED_URLS) remembered.delete(remembered.keys().next().value!);
        remembered.set(key, url);
      }
      return url;
    },
    /** Constant-time check; every failure (tampered, expired, another file or variant) is the same `{ ok: false }`. */
    check(fileUuid: string, variant: string, token: string, now = new Date()): UrlTokenCheck {
      return verifyUrlToken(token, { fileUuid, variant }, secret, now);
    },
  };
}

export type FileUrls = ReturnType<typeof createFileUrls>;
