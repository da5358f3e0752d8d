import { afterEach, describe, expect, test } from 'vitest';
import { InvalidPrefixError } from '../../src/db/migrations/prefix.js';
import {
  LATEST_VERSION,
  MigrationStateError,
  migrateDown,
  migrateUp,
  migratedVersion,
  migrationStatus,
} from '../../src/db/migrations/runner.js';
import { sqlFromUrl, type Sql } from '../../src/db/sql.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
afterEach(async () => {
  await db?.drop();
});

/** Wraps a Sql and counts every statement sent through it. */
function counting(sql: Sql) {
  let count = 0;
  const wrapped: Sql = {
    query: (text, params) => (count++, sql.query(text, params)),
    exec: (text) => (count++, sql.exec(text)),
    transaction: (fn) => (count++, sql.transaction((tx) => fn({
      query: (t, p) => (count++, tx.query(t, p)),
      exec: (t) => (count++, tx.exec(t)),
    }))),
    close: () => sql.close(),
  };
  return { sql: wrapped, count: () => count };
}

describe('migration runner', () => {
  test('an invalid prefix is refused before any SQL is sent', async () => {
    db = await createTestDatabase('run');
    const c = counting(db.sql);
    for (const prefix of ['Tenant', 'a-b', 'x'.repeat(21), 'a"b', '']) {
      await expect(migrateUp(c.sql, { prefix })).rejects.toBeInstanceOf(InvalidPrefixError);
      await expect(migrateDown(c.sql, { prefix, version: 0 })).rejects.toBeInstanceOf(InvalidPrefixError);
      await expect(migrationStatus(c.sql, { prefix })).rejects.toBeInstanceOf(InvalidPrefixError);
      await expect(migratedVersion(c.sql, prefix)).rejects.toBeInstanceOf(InvalidPrefixError);
    }
    await expect(migrateUp(c.sql, { version: 99 })).rejects.toThrow(`outside 0..${LATEST_VERSION}`);
    expect(c.count()).toBe(0);
  });

  test('two migrators started at once: one waits for the other, both finish, each version runs once', async () => {
    db = await createTestDatabase('run');
    const logs: string[] = [];
    const [a, b] = await Promise.all([
      migrateUp(db.sql, { log: (l) => logs.push(`a ${l}`) }),
      migrateUp(db.sql, { log: (l) => logs.push(`b ${l}`) }),
    ]);
    expect([a, b]).toEqual([LATEST_VERSION, LATEST_VERSION]);
    expect(await migratedVersion(db.sql)).toBe(LATEST_VERSION);
    // every version was applied by exactly one of the two
    const applied = logs.map((l) => l.replace(/^[ab] /, ''));
    expect(applied).toHaveLength(LATEST_VERSION);
    expect(new Set(applied).size).toBe(LATEST_VERSION);
  });

  test('an up and a down started at once: the one that finds the version moved against it stops, the other finishes', async () => {
    db = await createTestDatabase('run');
    await migrateUp(db.sql, { version: LATEST_VERSION - 3 });
    const steps: string[] = [];
    const both = Promise.allSettled([
      migrateUp(db.sql, { log: (l) => steps.push(`up ${l}`) }),
      migrateDown(db.sql, { version: LATEST_VERSION - 6, log: (l) => steps.push(`down ${l}`) }),
    ]);
    const stuck = new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 30_000).unref());
    const settled = await Promise.race([both, stuck]);
    if (settled === 'stuck') throw new Error(`the two runs undo each other: ${steps.length} steps so far`);
    const [up, down] = settled;
    expect(steps.length).toBeLessThanOrEqual(9);
    const targets = { up: LATEST_VERSION, down: LATEST_VERSION - 6 };
    const stopped = [up, down].filter((r) => r.status === 'rejected');
    for (const r of stopped) expect(String((r as PromiseRejectedResult).reason)).toMatch(/another process migrated/);
    if (stopped.length === 1) {
      // the other one reached its target
      expect(await migratedVersion(db.sql)).toBe(up.status === 'fulfilled' ? targets.up : targets.down);
    } else {
      // they did not overlap: one ran after the other, each in one piece
      expect(stopped).toHaveLength(0);
      const direction = steps.map((s) => s.split(' ')[0] as 'up' | 'down');
      const first = direction.filter((d) => d === direction[0]).length;
      expect(direction.slice(first).every((d) => d !== direction[0])).toBe(true);
      expect(await migratedVersion(db.sql)).toBe(targets[direction.at(-1)!]);
    }
  });

  test('a pool of one connection migrates', async () => {
    db = await createTestDatabase('run');
    const single = sqlFromUrl(db.url, 1);
    try {
      expect(await migrateUp(single, { version: 3 })).toBe(3);
      expect(await migrateDown(single, { version: 1 })).toBe(1);
    } finally {
      await single.close();
    }
  });

  test('concurrent migrators on different prefixes do not disturb each other', async () => {
    db = await createTestDatabase('run');
    const results = await Promise.all(['public', 'tenant_a', 'tenant_b'].map((prefix) => migrateUp(db.sql, { prefix })));
    expect(results).toEqual([LATEST_VERSION, LATEST_VERSION, LATEST_VERSION]);
    const [row] = await db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname IN ('tenant_a', 'tenant_b', 'tenant_a_jobs', 'tenant_b_jobs')`,
    );
    expect(row?.n).toBe(4);
  });

  test('status and the runtime version read', async () => {
    db = await createTestDatabase('run');
    expect(await migratedVersion(db.sql)).toBe(0); // no meta table: 0, no error
    expect(await migrationStatus(db.sql)).toMatchObject({ installed: 0, latest: LATEST_VERSION });
    await migrateUp(db.sql, { version: 5 });
    const status = await migrationStatus(db.sql);
    expect(status.installed).toBe(5);
    expect(status.pending[0]).toBe(6);
    expect(status.pending).toHaveLength(LATEST_VERSION - 5);
    expect(await migratedVersion(db.sql, 'tenant_zzz')).toBe(0);
  });

  test('a meta table whose comment is not a version: the runtime read says 0, the migrator refuses', async () => {
    db = await createTestDatabase('run');
    await migrateUp(db.sql, { version: 2 });
    await db.sql.query(`COMMENT ON TABLE public.phoenix_kit IS 'garbage'`);
    expect(await migratedVersion(db.sql)).toBe(0);
    await expect(migrateUp(db.sql)).rejects.toBeInstanceOf(MigrationStateError);
    await db.sql.query(`COMMENT ON TABLE public.phoenix_kit IS NULL`);
    await expect(migrateUp(db.sql)).rejects.toBeInstanceOf(MigrationStateError);
  });

  test('a failing version rolls back completely and leaves the previous version installed', async () => {
    db = await createTestDatabase('run');
    await migrateUp(db.sql, { version: 1 });
    // a conflicting object makes V02 fail half-way
    await db.sql.query(`CREATE TABLE public.phoenix_kit_user_role_assignments (uuid integer)`);
    await expect(migrateUp(db.sql, { version: 2 })).rejects.toThrow();
    expect(await migratedVersion(db.sql)).toBe(1);
    const [row] = await db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'phoenix_kit_user_roles'`,
    );
    expect(row?.n).toBe(0);
  });
});
