import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  test('defaults to the embedded database on port 4000', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.database.kind).toBe('pglite');
    expect(config.prefix).toBe('public');
    expect(config.migrateOnStart).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  test('uses the server when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@h:5432/db', PORT: '8080', DB_PREFIX: 'tenant_a' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@h:5432/db', poolSize: 10 });
    expect(config.port).toBe(8080);
    expect(config.prefix).toBe('tenant_a');
  });

  test('lists every problem at once', () => {
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', DB_PREFIX: 'Bad-Prefix', MIGRATE_ON_START: 'maybe' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const issues = (error as ConfigError).issues.join('\n');
      for (const key of ['PORT', 'DATABASE_URL', 'DB_PREFIX', 'MIGRATE_ON_START']) expect(issues).toContain(key);
    }
  });
});

describe('loadConfig refuses values that would break at run time', () => {
  test.each<[string, Record<string, string>]>([
    ['a blank PORT (would listen on a random port)', { PORT: '' }],
    ['a PORT of spaces', { PORT: ' ' }],
    ['a negative PORT', { PORT: '-1' }],
    ['a fractional PORT', { PORT: '80.5' }],
    ['a blank SHUTDOWN_TIMEOUT_MS (would cut requests at once)', { SHUTDOWN_TIMEOUT_MS: '' }],
    ['a SHUTDOWN_TIMEOUT_MS longer than a timer can wait', { SHUTDOWN_TIMEOUT_MS: '3000000000' }],
    ['a blank DB_POOL_SIZE', { DB_POOL_SIZE: '' }],
    ['PUBLIC_URL without a scheme', { PUBLIC_URL: 'localhost:4000' }],
    ['PUBLIC_URL of another scheme', { PUBLIC_URL: 'javascript:alert(1)' }],
    ['PUBLIC_URL with a query', { PUBLIC_URL: 'http://example.com/?a=b' }],
    ['PUBLIC_URL with a fragment', { PUBLIC_URL: 'http://example.com/#x' }],
    ['PUBLIC_URL with credentials', { PUBLIC_URL: 'https://user:pw@example.com' }],
    ['JOBS_IN_PROCESS=false on the embedded database (no worker can run its jobs)', { JOBS_IN_PROCESS: 'false' }],
    ['an UPLOAD_COPY_GRACE_MS over an hour', { UPLOAD_COPY_GRACE_MS: '3600001' }],
    ['a blank UPLOAD_COPY_GRACE_MS', { UPLOAD_COPY_GRACE_MS: '' }],
  ])('%s', (_name, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
  });

  test.each<[string, Record<string, string>, Partial<ReturnType<typeof loadConfig>>]>([
    ['PORT 0 (any free port) when asked', { PORT: '0' }, { port: 0 }],
    ['the longest shutdown timeout', { SHUTDOWN_TIMEOUT_MS: '2147483647' }, { shutdownTimeoutMs: 2_147_483_647 }],
    ['the default upload copy grace', {}, { uploadCopyGraceMs: 10_000 }],
    ['no upload copy grace (only as long as the body took)', { UPLOAD_COPY_GRACE_MS: '0' }, { uploadCopyGraceMs: 0 }],
    ['a PUBLIC_URL with a path (trailing slash dropped)', { PUBLIC_URL: 'https://example.com/api/' }, { publicUrl: 'https://example.com/api' }],
  ])('accepts %s', (_name, env, expected) => {
    expect(loadConfig(env)).toMatchObject(expected);
  });
});
