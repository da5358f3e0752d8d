import { openEmbedded, openPostgres, type Database } from '../../src/db/database.js';
import { migrateUp } from '../../src/db/migrations/runner.js';
import { createTestDatabase } from './pg.js';

export type QueryLog = string[];
export type Backend = { database: Database; queries: QueryLog; close(): Promise<void> };
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
      return {
        database,
        queries,
        async close() {
          await database.close();
          await testDb.drop();
        },
      };
    },
  ],
  [
    'pglite',
    async ({ prefix = 'public', migrate = true } = {}) => {
      const queries: QueryLog = [];
      const database = await openEmbedded(undefined, { prefix, log: (e) => queries.push(e.query) });
      if (migrate) await migrateUp(database.sql, { prefix });
      return { database, queries, close: () => database.close() };
    },
  ],
];
