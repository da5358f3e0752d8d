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
