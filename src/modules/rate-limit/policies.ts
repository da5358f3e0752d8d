/** Limits from the reference: attempts allowed per fixed window. */
export type RateLimitPolicy = Readonly<{ name: string; limit: number; windowSeconds: number }>;

export const RATE_LIMITS = {
  loginPerEmail: { name: 'login:email', limit: 5, windowSeconds: 60 },
  loginPerIp: { name: 'login:ip', limit: 5, windowSeconds: 60 },
  passwordReset: { name: 'reset', limit: 3, windowSeconds: 300 },
  magicLink: { name: 'magic_link', limit: 3, windowSeconds: 300 },
  confirmation: { name: 'confirm', limit: 3, windowSeconds: 300 },
  registrationPerEmail: { name: 'register:email', limit: 3, windowSeconds: 3600 },
  registrationPerIp: { name: 'register:ip', limit: 10, windowSeconds: 3600 },
  /** Mail asked for without a password (reset, magic links, confirmation), any addresses, from one IP. */
  mailPerIp: { name: 'mail:ip', limit: 30, windowSeconds: 3600 },
} as const satisfies Record<string, RateLimitPolicy>;

/**
 * Seconds until a window that started at `windowStart` ends: 1 to `windowSeconds`. `now` is the time the counting
 * transaction began, which may be a moment before a window another request opened at the same time.
 */
export function retryAfterSeconds(windowStart: Date, windowSeconds: number, now: Date): number {
  const left = Math.ceil((windowStart.getTime() + windowSeconds * 1000 - now.getTime()) / 1000);
  return Math.min(windowSeconds, Math.max(1, left));
}
