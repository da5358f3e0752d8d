import type { Sql, SqlRunner } from '../sql.js';
import { movedAgainst, planDown, planUp, type MigrationStep } from './plan.js';
import { DEFAULT_PREFIX, quoteIdent, validatePrefix } from './prefix.js';
import type { MigrationContext, MigrationVersion } from './types.js';
import { versions } from './versions/index.js';

export const LATEST_VERSION = versions.length;
/** One lock for every prefix: extensions and shared functions are database-wide. */
const MIGRATION_LOCK_KEY = 'phoenix_kit_migrations';

export class MigrationStateError extends Error {
  readonly code = 'MIGRATION_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'MigrationStateError';
  }
}

export type MigrateOptions = { prefix?: string; version?: number; log?: (line: string) => void };
export type MigrationStatus = { prefix: string; installed: number; latest: number; pending: number[] };

export function migrationContext(prefix: string): MigrationContext {
  const schema = quoteIdent(prefix);
  return { prefix, schema, t: (name) => `${schema}.${quoteIdent(name)}`, jobsSchema: quoteIdent(`${prefix}_jobs`) };
}

const VERSION_COMMENT_SQL = `
  SELECT obj_description(c.oid, 'pg_class') AS comment
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relname = 'phoenix_kit' AND c.relkind = 'r'`;

/** Strict read used by the migrator: 0 when the meta table is absent; throws when its comment is not a version. */
async function readVersion(db: SqlRunner, prefix: string): Promise<number> {
  const [row] = await db.query<{ comment: string | null }>(VERSION_COMMENT_SQL, [prefix]);
  if (!row) return 0;
  const parsed = Number(row.comment);
  if (row.comment === null || !Number.isInteger(parsed) || parsed < 0) {
    throw new MigrationStateError(
      `${prefix}.phoenix_kit exists but its comment (${JSON.stringify(row.comment)}) is not a version number; restamp it by hand`,
    );
  }
  return parsed;
}

/**
 * Installed version for runtime checks (readiness, status): 0 for a missing table or an odd comment; a database that
 * cannot be asked still throws (readiness tells the two apart).
 */
export async function migratedVersion(db: SqlRunner, prefix = DEFAULT_PREFIX): Promise<number> {
  validatePrefix(prefix);
  try {
    return await readVersion(db, prefix);
  } catch (error) {
    if (error instanceof MigrationStateError) return 0;
    throw error;
  }
}

function versionByNumber(n: number): MigrationVersion {
  const v = versions[n - 1];
  if (!v || v.version !== n) throw new Error(`Migration version ${n} is missing from the chain`);
  return v;
}

/**
 * Applies one step if it is still the next one once the lock is held; returns the version it left, or null when
 * nothing was left to do. `left`: the version this run's previous step left.
 */
async function runNextStep(
  db: Sql,
  ctx: MigrationContext,
  run: { direction: 'up' | 'down'; plan: (current: number) => MigrationStep[]; left: number | null },
  log: (line: string) => void,
): Promise<number | null> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [MIGRATION_LOCK_KEY]);
    const current = await readVersion(tx, ctx.prefix);
    if (movedAgainst(run.direction, run.left, current)) {
      throw new MigrationStateError(
        `another process migrated ${ctx.prefix} ${run.direction === 'up' ? 'down' : 'up'} to V${current} meanwhile; ` +
          'this run stops there (run it again once the other is done)',
      );
    }
    const [step] = run.plan(current);
    if (!step) return null;
    const version = versionByNumber(step.version);
    if (step.direction === 'up' && ctx.prefix !== DEFAULT_PREFIX) {
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${ctx.schema}`);
    }
    const statements = step.direction === 'up' ? version.up(ctx) : version.down(ctx);
    for (const statement of statements) await tx.exec(statement);
    const stamped = step.direction === 'up' ? step.version : step.version - 1;
    if (stamped > 0) {
      await tx.query(`COMMENT ON TABLE ${ctx.t('phoenix_kit')} IS '${stamped}'`);
    } else if (ctx.prefix !== DEFAULT_PREFIX) {
      // RESTRICT: the schema is kept when anything else lives there (the step still succeeds)
      await tx.exec(`DO $$ BEGIN
  DROP SCHEMA IF EXISTS ${ctx.schema};
EXCEPTION WHEN dependent_objects_still_exist THEN
  RAISE NOTICE 'schema kept: other objects live in it';
END $$`);
    }
    log(`${step.direction} V${String(step.version).padStart(2, '0')} ${version.name} (${ctx.prefix})`);
    return stamped;
  });
}

async function runPlan(
  db: Sql,
  opts: MigrateOptions,
  direction: 'up' | 'down',
  plan: (current: number) => MigrationStep[],
): Promise<number> {
  const prefix = validatePrefix(opts.prefix ?? DEFAULT_PREFIX);
  const ctx = migrationContext(prefix);
  const log = opts.log ?? (() => undefined);
  // each step is its own transaction under the lock (no session state, so it works through a transaction pooler);
  // a run that finds the version moved the other way since its last step stops rather than undo the other's steps
  for (let left: number | null = null; ; ) {
    const next = await runNextStep(db, ctx, { direction, plan, left }, log);
    if (next === null) return readVersion(db, prefix);
    left = next;
  }
}

/** Migrates `prefix` up to `version` (default: latest), one transaction per version under an advisory lock. */
export async function migrateUp(db: Sql, opts: MigrateOptions = {}): Promise<number> {
  const target = opts.version ?? LATEST_VERSION;
  planUp(0, target, LATEST_VERSION); // validates the target before any SQL
  return runPlan(db, opts, 'up', (current) => planUp(current, target, LATEST_VERSION));
}

/** Reverts `prefix` down to `version` (required; 0 removes everything). */
export async function migrateDown(db: Sql, opts: MigrateOptions & { version: number }): Promise<number> {
  planDown(0, opts.version, LATEST_VERSION);
  return runPlan(db, opts, 'down', (current) => planDown(current, opts.version, LATEST_VERSION));
}

export async function migrationStatus(db: Sql, opts: { prefix?: string } = {}): Promise<MigrationStatus> {
  const prefix = validatePrefix(opts.prefix ?? DEFAULT_PREFIX);
  const installed = await readVersion(db, prefix);
  return {
    prefix,
    installed,
    latest: LATEST_VERSION,
    pending: planUp(installed, LATEST_VERSION, LATEST_VERSION).map((s) => s.version),
  };
}
