import type { MigrationContext, MigrationVersion } from '../types.js';

/** Declares a version; `up`/`down` return statements run in order inside one transaction. */
export function defineVersion(
  version: number,
  name: string,
  up: (ctx: MigrationContext) => readonly string[],
  down: (ctx: MigrationContext) => readonly string[],
): MigrationVersion {
  return { version, name, up, down };
}

/** Default for `uuid` primary keys: before V19 pgcrypto's random UUID, from V19 on the schema's UUIDv7 function. */
export const uuidDefaultBeforeV19 = 'gen_random_uuid()';
export const uuidV7Default = (ctx: MigrationContext): string => `${ctx.t('uuid_generate_v7')}()`;

/** `ALTER TABLE … ADD CONSTRAINT` that is a no-op when the constraint already exists on that table in this schema. */
export function addConstraint(ctx: MigrationContext, table: string, name: string, definition: string): string {
  return `DO $$ BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint c
      JOIN pg_class t ON t.oid = c.conrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE c.conname = '${name}' AND t.relname = '${table}' AND n.nspname = '${ctx.prefix}'
  ) THEN
    ALTER TABLE ${ctx.t(table)} ADD CONSTRAINT "${name}" ${definition};
  END IF;
END $$`;
}

export function dropConstraint(ctx: MigrationContext, table: string, name: string): string {
  return `ALTER TABLE IF EXISTS ${ctx.t(table)} DROP CONSTRAINT IF EXISTS "${name}"`;
}

/** Database-wide extensions live in `public`; they are shared by every prefix and never dropped by a down. */
export function ensureExtension(name: string): string {
  return `DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = '${name}') THEN
    CREATE EXTENSION "${name}" WITH SCHEMA public;
  END IF;
END $$`;
}

const sqlLiteral = (value: string | null): string => (value === null ? 'NULL' : `'${value.replaceAll("'", "''")}'`);

/** Inserts settings rows (string values, NULL allowed) under `module`; existing keys are left as they are. */
export function seedSettings(ctx: MigrationContext, module: string, rows: Readonly<Record<string, string | null>>): string {
  const values = Object.entries(rows).map(([key, value]) => `(${sqlLiteral(key)}, ${sqlLiteral(value)}, ${sqlLiteral(module)})`);
  return `INSERT INTO ${ctx.t('phoenix_kit_settings')} (key, value, module)
    VALUES ${values.join(',\n      ')}
    ON CONFLICT (key) DO NOTHING`;
}

/** Removes settings rows by key (the down of `seedSettings`). */
export function deleteSettings(ctx: MigrationContext, keys: readonly string[]): string {
  return `DELETE FROM ${ctx.t('phoenix_kit_settings')} WHERE key IN (${keys.map(sqlLiteral).join(', ')})`;
}

/** Raises a clear error (instead of deleting rows) when `column` holds duplicate values that block `indexName`. */
export function requireUniqueValues(ctx: MigrationContext, table: string, column: string, indexName: string): string {
  return `DO $$
DECLARE duplicated bigint;
BEGIN
  SELECT count(*) INTO duplicated FROM (
    SELECT 1 FROM ${ctx.t(table)} WHERE ${column} IS NOT NULL GROUP BY ${column} HAVING count(*) > 1
  ) d;
  IF duplicated > 0 THEN
    RAISE EXCEPTION 'cannot create unique index % on %.%(%): % value(s) of % are shared by more than one row; resolve the duplicates first (no rows were changed)',
      '${indexName}', '${ctx.prefix}', '${table}', '${column}', duplicated, '${column}';
  END IF;
END $$`;
}

export type RowChange = 'insert' | 'update' | 'delete';
const ROW_CHANGES: readonly RowChange[] = ['insert', 'update', 'delete'];

/**
 * One statement-level trigger on `table` per kind of change, each running `body(change)` (plpgsql statements) with
 * the statement's rows as the transition tables `new_rows` (insert, update) and `old_rows` (update, delete). Function
 * and trigger are both named `<table>_<name>_on_<change>`. Returns the statements of `up` and of `down`.
 */
export function statementTriggers(
  ctx: MigrationContext,
  table: string,
  name: string,
  body: (change: RowChange) => string,
): { up: string[]; down: string[] } {
  const named = (change: RowChange) => `${table}_${name}_on_${change}`;
  const transition = (change: RowChange) =>
    change === 'insert' ? 'NEW TABLE AS new_rows' : change === 'delete' ? 'OLD TABLE AS old_rows' : 'OLD TABLE AS old_rows NEW TABLE AS new_rows';
  const drop = (change: RowChange) => `DROP TRIGGER IF EXISTS ${named(change)} ON ${ctx.t(table)}`;
  return {
    up: ROW_CHANGES.flatMap((change) => [
      `CREATE OR REPLACE FUNCTION ${ctx.t(named(change))}() RETURNS trigger
  LANGUAGE plpgsql AS $fn$
BEGIN
${body(change)}
  RETURN NULL;
END
$fn$`,
      drop(change),
      `CREATE TRIGGER ${named(change)} AFTER ${change.toUpperCase()} ON ${ctx.t(table)}
    REFERENCING ${transition(change)} FOR EACH STATEMENT EXECUTE FUNCTION ${ctx.t(named(change))}()`,
    ]),
    down: ROW_CHANGES.flatMap((change) => [drop(change), `DROP FUNCTION IF EXISTS ${ctx.t(named(change))}()`]),
  };
}
