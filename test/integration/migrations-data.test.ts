import { afterEach, describe, expect, test } from 'vitest';
import { openPglite } from '../../src/db/pglite.js';
import { LATEST_VERSION, migrateDown, migrateUp, migratedVersion, migrationContext } from '../../src/db/migrations/runner.js';
import { versions } from '../../src/db/migrations/versions/index.js';
import { sqlFromPglite, type Sql } from '../../src/db/sql.js';
import { createTestDatabase } from '../helpers/pg.js';

type Opened = { sql: Sql; close(): Promise<void> };
const backends: Array<[string, () => Promise<Opened>]> = [
  ['postgres', async () => {
    const db = await createTestDatabase('migdata');
    return { sql: db.sql, close: () => db.drop() };
  }],
  ['pglite', async () => {
    const sql = sqlFromPglite(await openPglite());
    return { sql, close: () => sql.close() };
  }],
];

let opened: Opened | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

/** The rows a version's `up` would write when run again by hand on a schema that has it (and data) already. */
async function rerunUp(sql: Sql, n: number, prefix = 'public') {
  const version = versions[n - 1]!;
  expect(version.version).toBe(n);
  await sql.transaction(async (tx) => {
    for (const statement of version.up(migrationContext(prefix))) await tx.exec(statement);
  });
}

describe.each(backends)('migrations with data on %s', (_name, open) => {
  test('down past V04 and up again: a role that had been removed is not held again', async () => {
    opened = await open();
    const { sql } = opened;
    await migrateUp(sql);
    const [user] = await sql.query<{ uuid: string }>(
      `INSERT INTO phoenix_kit_users (email, hashed_password) VALUES ('removed-admin@test.local', 'x') RETURNING uuid::text`,
    );
    // granted, then removed (removal switches the row off)
    for (const [role, active] of [['Admin', false], ['User', true]] as const) {
      await sql.query(
        `INSERT INTO phoenix_kit_user_role_assignments (user_uuid, role_uuid, is_active)
         SELECT $1::uuid, uuid, $2 FROM phoenix_kit_user_roles WHERE name = $3`,
        [user!.uuid, active, role],
      );
    }
    await migrateDown(sql, { version: 3 });
    await migrateUp(sql);
    const held = await sql.query<{ name: string }>(
      `SELECT r.name FROM phoenix_kit_user_role_assignments a JOIN phoenix_kit_user_roles r ON r.uuid = a.role_uuid
        WHERE a.user_uuid = $1::uuid AND a.is_active ORDER BY r.name`,
      [user!.uuid],
    );
    expect(held.map((r) => r.name)).toEqual(['User']);
  });

  test('re-running V31 on a schema holding stored files changes nothing: bucket usage is not counted twice', async () => {
    opened = await open();
    const { sql } = opened;
    await migrateUp(sql, { version: 30 });
    const [user] = await sql.query<{ uuid: string }>(
      `INSERT INTO phoenix_kit_users (email, hashed_password) VALUES ('files@test.local', 'x') RETURNING uuid::text`,
    );
    const [file] = await sql.query<{ uuid: string }>(
      `INSERT INTO phoenix_kit_files (original_file_name, file_name, mime_type, file_type, ext, file_checksum, size, user_uuid, user_file_checksum, status)
       VALUES ('a.bin', 'a.bin', 'application/octet-stream', 'other', 'bin', 'abc', 1000, $1::uuid, 'uabc', 'active') RETURNING uuid::text`,
      [user!.uuid],
    );
    const [instance] = await sql.query<{ uuid: string }>(
      `INSERT INTO phoenix_kit_file_instances (variant_name, file_name, mime_type, ext, checksum, size, file_uuid, processing_status)
       VALUES ('original', 'a.bin', 'application/octet-stream', 'bin', 'abc', 1000, $1::uuid, 'completed') RETURNING uuid::text`,
      [file!.uuid],
    );
    await sql.query(
      `INSERT INTO phoenix_kit_file_locations (path, file_instance_uuid, bucket_uuid)
       SELECT 'blobs/ab/c/abc', $1::uuid, uuid FROM phoenix_kit_buckets WHERE name = 'Local Storage'`,
      [instance!.uuid],
    );
    const usage = async () =>
      Number((await sql.query<{ n: string }>(`SELECT COALESCE(SUM(bytes), 0)::text AS n FROM phoenix_kit_bucket_usage`))[0]!.n);
    await migrateUp(sql, { version: 31 }); // counts what is stored already
    expect(await usage()).toBe(1000);
    await rerunUp(sql, 31);
    expect(await usage()).toBe(1000);
    await migrateUp(sql);
    await rerunUp(sql, 31);
    expect(await usage()).toBe(1000);
  });

  test('down to 0 on a non-default prefix whose schema holds something else: succeeds and keeps the schema', async () => {
    opened = await open();
    const { sql } = opened;
    await migrateUp(sql, { prefix: 'tenant_rv', version: 2 });
    await sql.query(`CREATE TABLE tenant_rv.operator_notes (id int)`);
    expect(await migrateDown(sql, { prefix: 'tenant_rv', version: 0 })).toBe(0);
    expect(await migratedVersion(sql, 'tenant_rv')).toBe(0);
    const tables = await sql.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'tenant_rv'`);
    expect(tables.map((t) => t.tablename)).toEqual(['operator_notes']);
    expect(await migrateUp(sql, { prefix: 'tenant_rv' })).toBe(LATEST_VERSION);
  });
});
