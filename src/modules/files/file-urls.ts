import { fileUrlPath, signUrlToken, verifyUrlToken } from './domain/url-token.js';

/** Token URLs for file variants: `<PUBLIC_URL>/files/<uuid>/<variant>/<token>`, HMAC-signed, optionally expiring. */
export function createFileUrls({ secret, publicUrl }: { secret: Buffer; publicUrl: string }) {
  return {
    url(fileUuid: string, variant: string, expiresAt: Date | null = null): string {
      return `${publicUrl}${fileUrlPath(fileUuid, variant, signUrlToken({ fileUuid, variant, expiresAt }, secret))}`;
    },
    /** Constant-time check; every failure (tampered, expired, another file or variant) is the same `false`. */
    verify(fileUuid: string, variant: string, token: string, now = new Date()): boolean {
      return verifyUrlToken(token, { fileUuid, variant }, secret, now).ok;
    },
  };
}

export type FileUrls = ReturnType<typeof createFileUrls>;
