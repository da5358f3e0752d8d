import PgBoss from 'pg-boss';
import { defineVersion } from './helpers.js';

/**
 * pg-boss's construction script for `schema` without its own transaction control: BEGIN/COMMIT, SET LOCAL
 * timeouts and the advisory lock are dropped because the runner already holds a transaction and the migration lock.
 */
function pgBossSchemaSql(schema: string): string {
  const script = PgBoss.getConstructionPlans(schema)
    .replace(/^\s*BEGIN;\s*$/m, '')
    .replace(/^\s*SET LOCAL [^;]*;\s*$/gm, '')
    .replace(/^\s*SELECT pg_advisory_xact_lock\([\s\S]*?\n\s*\);\s*$/m, '')
    .replace(/^\s*COMMIT;\s*$/m, '');
  // fail loudly if a pg-boss upgrade changes the script's shape instead of running a half-stripped script
  if (/\b(BEGIN|COMMIT|SET LOCAL|pg_advisory)/.test(script.replaceAll(/\$\$[\s\S]*?\$\$/g, ''))) {
    throw new Error('V27: unexpected pg-boss construction script; check the pinned pg-boss version');
  }
  if (script.includes('$pgboss$')) throw new Error('V27: pg-boss script contains the $pgboss$ quote tag');
  return script;
}

/** Job queue: pg-boss's schema `<prefix>_jobs` (created once; left alone when its version table exists). */
export default defineVersion(
  27,
  'job queue',
  (ctx) => {
    // the prefix is validated (^[a-z_][a-z0-9_]*$), so the unquoted name is safe and matches pg-boss's runtime `schema` option
    const schema = `${ctx.prefix}_jobs`;
    return [
      `DO $v27$ BEGIN
  IF to_regclass('${schema}.version') IS NULL THEN
    EXECUTE $pgboss$${pgBossSchemaSql(schema)}$pgboss$;
  END IF;
END $v27$`,
    ];
  },
  (ctx) => [`DROP SCHEMA IF EXISTS ${ctx.jobsSchema} CASCADE`],
);
