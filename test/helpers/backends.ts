import { expect, vi } from 'vitest';
import { openEmbedded, openPostgres, type Database } from '../../src/db/database.js';
import { migrateUp } from '../../src/db/migrations/runner.js';
import { createTestDatabase } from './pg.js';

export type QueryLog = string[];
export type Backend = {
  database: Database;
  queries: QueryLog;
  /** Registers cleanup (e.g. an app's listeners) to run before the database closes. */
  onClose(fn: () => Promise<void>): void;
  close(): Promise<void>;
};

export function withCleanups(base: { database: Database; queries: QueryLog; close(): Promise<void> }): Backend {
  const cleanups: Array<() => Promise<void>> = [];
  return {
    ...base,
    onClose: (fn) => void cleanups.push(fn),
    async close() {
      await Promise.allSettled(cleanups.map((fn) => fn()));
      await base.close();
    },
  };
}
export type BackendFactory = (opts?: { prefix?: string; migrate?: boolean }) => Promise<Backend>;

/** Both database kinds the server runs on, each opened fresh and (by default) migrated to the latest version. */
export const backends: Array<[name: 'postgres' | 'pglite', open: BackendFactory]> = [
  [
    'postgres',
    async ({ prefix = 'public', migrate = true } = {}) => {
      const testDb = await createTestDatabase('app');
      const queries: QueryLog = [];
      const database = await openPostgres(testDb.url, 4, { prefix, log: (e) => queries.push(e.query) });
      if (migrate) await migrateUp(database.sql, { prefix });
      return withCleanups({
        database,
        queries,
        async close() {
          await database.close();
          await testDb.drop();
        },
      });
    },
  ],
  [
    'pglite',
    async ({ prefix = 'public', migrate = true } = {}) => {
      const queries: QueryLog = [];
      const database = await openEmbedded(undefined, { prefix, log: (e) => queries.push(e.query) });
      if (migrate) await migrateUp(database.sql, { prefix });
      return withCleanups({ database, queries, close: () => database.close() });
    },
  ],
];

/**
 * Waits until `waiters` sessions of the database wait for a lock (the other sides of a race the test holds a lock
 * against).
 * PGlite runs one transaction at a time, so nothing can be waiting there: it returns at once.
 */
export async function untilSomeoneWaitsForALock(backend: Backend, waiters = 1): Promise<void> {
  if (backend.database.kind !== 'postgres') return;
  await vi.waitFor(
    async () => {
      const [waiting] = await backend.database.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted');
      expect(waiting!.n).toBeGreaterThanOrEqual(waiters);
    },
    { timeout: 10_000 },
  );
}
