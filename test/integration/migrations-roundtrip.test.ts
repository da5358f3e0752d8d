import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openPglite } from '../../src/db/pglite.js';
import { migrateDown, migrateUp, migrationContext, LATEST_VERSION } from '../../src/db/migrations/runner.js';
import { versions } from '../../src/db/migrations/versions/index.js';
import { sqlFromPglite, type Sql } from '../../src/db/sql.js';
import { catalogSnapshot, type CatalogSnapshot } from '../helpers/catalog.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const backends: Array<[string, () => Promise<{ sql: Sql; close(): Promise<void> }>]> = [
  ['postgres', async () => {
    const db: TestDatabase = await createTestDatabase('mig');
    return { sql: db.sql, close: () => db.drop() };
  }],
  ['pglite', async () => {
    const sql = sqlFromPglite(await openPglite());
    return { sql, close: () => sql.close() };
  }],
];

describe.each(backends)('migration chain on %s', (_name, open) => {
  for (const prefix of ['public', 'tenant_a']) {
    describe(`prefix ${prefix}`, () => {
      let db: { sql: Sql; close(): Promise<void> };
      const schemas = [prefix, `${prefix}_jobs`];
      const snap = () => catalogSnapshot(db.sql, schemas);
      const straight: CatalogSnapshot[] = [];
      let publicBefore: CatalogSnapshot;

      beforeAll(async () => {
        db = await open();
        publicBefore = await catalogSnapshot(db.sql, ['public']);
        straight[0] = await snap();
      });
      afterAll(() => db.close());

      test('every version: up to N, down to N-1 equals straight N-1; up again equals N; re-running N is a no-op', async () => {
        for (let n = 1; n <= LATEST_VERSION; n++) {
          expect(await migrateUp(db.sql, { prefix, version: n })).toBe(n);
          straight[n] = await snap();
          if (n > 1) expect(straight[n], `V${n} changes the schema`).not.toEqual(straight[n - 1]);

          expect(await migrateDown(db.sql, { prefix, version: n - 1 })).toBe(n - 1);
          expect(await snap(), `down from V${n}`).toEqual(straight[n - 1]);

          expect(await migrateUp(db.sql, { prefix, version: n })).toBe(n);
          expect(await snap(), `re-up to V${n}`).toEqual(straight[n]);

          // a partially or fully applied version re-run statement by statement changes nothing
          const version = versions[n - 1]!;
          await db.sql.transaction(async (tx) => {
            for (const statement of version.up(migrationContext(prefix))) await tx.exec(statement);
          });
          expect(await snap(), `V${n} up is idempotent`).toEqual(straight[n]);
        }
        expect(await migrateUp(db.sql, { prefix })).toBe(LATEST_VERSION);
        expect(await snap()).toEqual(straight[LATEST_VERSION]);
      });

      test('down from the latest to any lower version and back', async () => {
        for (const target of [20, 7, 0]) {
          expect(await migrateDown(db.sql, { prefix, version: target })).toBe(target);
          expect(await snap()).toEqual(straight[target]);
          expect(await migrateUp(db.sql, { prefix })).toBe(LATEST_VERSION);
          expect(await snap()).toEqual(straight[LATEST_VERSION]);
        }
      });

      if (prefix !== 'public') {
        test('leaves the public schema untouched', async () => {
          expect(await catalogSnapshot(db.sql, ['public'])).toEqual(publicBefore);
        });
      }
    });
  }
});
