import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_PREFIX, validatePrefix } from './db/migrations/prefix.js';

const booleanString = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

/** Digits only (a blank or signed value is refused, not read as 0), then the range. */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^[0-9]+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Links are built by appending a path: an http(s) base without query, fragment or credentials. */
const baseUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).refine((value) => {
  const url = new URL(value);
  return url.search === '' && url.hash === '' && url.username === '' && url.password === '' && !/[?#]/.test(value);
}, 'must not carry a query, a fragment or credentials');

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: wholeNumber(0, 65_535).default(4000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DB_PREFIX: z
    .string()
    .default(DEFAULT_PREFIX)
    .superRefine((value, ctx) => {
      try {
        validatePrefix(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  DB_POOL_SIZE: wholeNumber(1, 200).default(10),
  MIGRATE_ON_START: booleanString.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // a timer's longest delay: a larger one fires at once
  SHUTDOWN_TIMEOUT_MS: wholeNumber(0, 2_147_483_647).default(10_000),
  PUBLIC_URL: baseUrl.default('http://localhost:4000'),
  TRUST_PROXY: booleanString.default(false),
  SESSION_FINGERPRINT_STRICT: booleanString.default(false),
  PASSWORD_MIN_LENGTH: wholeNumber(8, 72).default(8),
  PASSWORD_REQUIRE_UPPERCASE: booleanString.default(false),
  PASSWORD_REQUIRE_LOWERCASE: booleanString.default(false),
  PASSWORD_REQUIRE_DIGIT: booleanString.default(false),
  PASSWORD_REQUIRE_SPECIAL: booleanString.default(false),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().min(3).default('PhoenixKit <no-reply@localhost>'),
  GEOIP_CSV_PATH: z.string().min(1).optional(),
  SECRET_KEY_BASE: z.string().min(32, 'must be at least 32 characters').optional(),
  JOBS_IN_PROCESS: booleanString.default(true),
  JOBS_POLL_SECONDS: z.coerce.number().min(0.5).max(60).default(2),
  UPLOAD_COPY_GRACE_MS: wholeNumber(0, 3_600_000).default(10_000),
});

export type PasswordRules = Readonly<{
  minLength: number;
  requireUppercase: boolean;
  requireLowercase: boolean;
  requireDigit: boolean;
  requireSpecial: boolean;
}>;

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** `postgres` when DATABASE_URL is set, else the embedded PGlite database in `dataDir/pglite`. */
  database: Readonly<{ kind: 'postgres'; url: string; poolSize: number } | { kind: 'pglite'; dataDir: string }>;
  prefix: string;
  dataDir: string;
  migrateOnStart: boolean;
  logLevel: string;
  shutdownTimeoutMs: number;
  /** Base URL of links in mails (confirmation, reset, magic link). */
  publicUrl: string;
  /** Take the client IP from the first X-Forwarded-For entry (only behind a proxy you control). */
  trustProxy: boolean;
  /** Refuse sessions whose IP or User-Agent differ from those at login (else: log and allow). */
  sessionFingerprintStrict: boolean;
  passwordRules: PasswordRules;
  /** SMTP server for mail; unset: mails are written to the log. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** CSV of IP ranges → country/region/city for registration analytics; unset: no lookup. */
  geoipCsvPath: string | undefined;
  /** Root secret (file URL tokens, bucket key encryption); unset: generated once into DATA_DIR/secret_key_base. */
  secretKeyBase: string | undefined;
  /** Run job handlers in the server process (else only in `npm run worker` processes). */
  jobsInProcess: boolean;
  /** How often idle job workers look for work. */
  jobsPollSeconds: number;
  /**
   * How long an upload waits, at least, for a copy still being written once the body has been read and another copy
   * has landed (longer when reading the body took longer); then that copy is given up and repaired later.
   */
  uploadCopyGraceMs: number;
}>;

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; lists every problem at once. The only reader of process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.refine((e) => e.JOBS_IN_PROCESS || e.DATABASE_URL !== undefined, {
    path: ['JOBS_IN_PROCESS'],
    message: 'false needs DATABASE_URL: only the server process runs jobs on the embedded database (no worker can)',
  }).safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  return Object.freeze({
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    database: Object.freeze(
      e.DATABASE_URL
        ? { kind: 'postgres' as const, url: e.DATABASE_URL, poolSize: e.DB_POOL_SIZE }
        : { kind: 'pglite' as const, dataDir: resolve(dataDir, 'pglite') },
    ),
    prefix: e.DB_PREFIX,
    dataDir,
    migrateOnStart: e.MIGRATE_ON_START,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    publicUrl: e.PUBLIC_URL.replace(/\/+$/, ''),
    trustProxy: e.TRUST_PROXY,
    sessionFingerprintStrict: e.SESSION_FINGERPRINT_STRICT,
    passwordRules: Object.freeze({
      minLength: e.PASSWORD_MIN_LENGTH,
      requireUppercase: e.PASSWORD_REQUIRE_UPPERCASE,
      requireLowercase: e.PASSWORD_REQUIRE_LOWERCASE,
      requireDigit: e.PASSWORD_REQUIRE_DIGIT,
      requireSpecial: e.PASSWORD_REQUIRE_SPECIAL,
    }),
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    geoipCsvPath: e.GEOIP_CSV_PATH ? resolve(e.GEOIP_CSV_PATH) : undefined,
    secretKeyBase: e.SECRET_KEY_BASE,
    jobsInProcess: e.JOBS_IN_PROCESS,
    jobsPollSeconds: e.JOBS_POLL_SECONDS,
    uploadCopyGraceMs: e.UPLOAD_COPY_GRACE_MS,
  });
}
