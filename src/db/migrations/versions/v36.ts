import type { MigrationContext } from '../types.js';
import { triggers as v33Triggers } from './v33.js';
import { defineVersion, statementTriggers, type RowChange } from './helpers.js';

/**
 * `file_instances.active_copies` counts the copies a read can use: active locations in enabled buckets. V33 counted
 * every active location, so a file kept only in disabled buckets (which answers 404) was not under-replicated. The
 * location triggers now look at the bucket; a bucket whose `enabled` flips adds or takes its active locations from
 * their instances, and a bucket being deleted takes them before its locations go (the cascade then finds no bucket and
 * changes nothing). Counts are recomputed on the way up and on the way down.
 *
 * Locks: a location statement share-locks its buckets before it counts, so a flip and a copy changing at once take
 * turns and the copy is counted with the bucket's `enabled` as it ends. A flip locks the instances it moves without
 * waiting (see the function), so it never waits on a transaction that waits on its bucket.
 */

/** (file_instance_uuid, n) over the statement's rows in enabled buckets: +1 per new active location, -1 per old one. */
function changes(ctx: MigrationContext, change: RowChange): string {
  const side = (rows: string, n: number) =>
    `SELECT l.file_instance_uuid, ${n} AS n FROM ${rows} l
       JOIN ${ctx.t('phoenix_kit_buckets')} b ON b.uuid = l.bucket_uuid AND b.enabled WHERE l.status = 'active'`;
  const added = side('new_rows', 1);
  const removed = side('old_rows', -1);
  return change === 'insert' ? added : change === 'delete' ? removed : `${added} UNION ALL ${removed}`;
}

/** The statement's buckets, share-locked in key order: a bucket's `enabled` cannot flip until this transaction ends. */
function lockBuckets(ctx: MigrationContext, change: RowChange): string {
  const rows = change === 'insert' ? ['new_rows'] : change === 'delete' ? ['old_rows'] : ['new_rows', 'old_rows'];
  return `  PERFORM 1 FROM ${ctx.t('phoenix_kit_buckets')} b
    WHERE b.uuid IN (${rows.map((r) => `SELECT bucket_uuid FROM ${r}`).join(' UNION ')}) ORDER BY b.uuid FOR SHARE;`;
}

const locationTriggers = (ctx: MigrationContext) =>
  statementTriggers(
    ctx,
    'phoenix_kit_file_locations',
    'copies',
    (change) => `${lockBuckets(ctx, change)}
  UPDATE ${ctx.t('phoenix_kit_file_instances')} i SET active_copies = GREATEST(i.active_copies + d.n, 0)
    FROM (SELECT file_instance_uuid, SUM(n)::integer AS n FROM (${changes(ctx, change)}) c
           GROUP BY file_instance_uuid HAVING SUM(n) <> 0) d
   WHERE i.uuid = d.file_instance_uuid;`,
  );

const BUCKET_FUNCTION = 'phoenix_kit_buckets_copies_on_change';
const bucketTriggerNames = ['phoenix_kit_buckets_copies_on_enabled', 'phoenix_kit_buckets_copies_on_delete'] as const;

/** Row triggers on buckets: `enabled` flipped (after the update) or the row deleted (before, while its locations exist). */
const bucketTriggers = (ctx: MigrationContext) => {
  const [onEnabled, onDelete] = bucketTriggerNames;
  return {
    up: [
      `CREATE OR REPLACE FUNCTION ${ctx.t(BUCKET_FUNCTION)}() RETURNS trigger
  LANGUAGE plpgsql AS $fn$
DECLARE
  sign integer := CASE WHEN TG_OP = 'UPDATE' AND NEW.enabled THEN 1 ELSE -1 END;
BEGIN
  IF TG_OP = 'UPDATE' OR OLD.enabled THEN
    -- without waiting: a transaction holding one of these instances may be waiting for this bucket (location triggers
    -- share-lock it), so waiting here could deadlock; lock_not_available goes to the caller, which tries again
    PERFORM 1 FROM ${ctx.t('phoenix_kit_file_instances')}
      WHERE uuid IN (SELECT file_instance_uuid FROM ${ctx.t('phoenix_kit_file_locations')} WHERE bucket_uuid = OLD.uuid AND status = 'active')
      ORDER BY uuid FOR NO KEY UPDATE NOWAIT;
    UPDATE ${ctx.t('phoenix_kit_file_instances')} i SET active_copies = GREATEST(i.active_copies + sign * c.n, 0)
      FROM (SELECT file_instance_uuid, COUNT(*)::integer AS n FROM ${ctx.t('phoenix_kit_file_locations')}
             WHERE bucket_uuid = OLD.uuid AND status = 'active' GROUP BY file_instance_uuid) c
     WHERE i.uuid = c.file_instance_uuid;
  END IF;
  RETURN OLD;
END
$fn$`,
      `DROP TRIGGER IF EXISTS ${onEnabled} ON ${ctx.t('phoenix_kit_buckets')}`,
      `CREATE TRIGGER ${onEnabled} AFTER UPDATE OF enabled ON ${ctx.t('phoenix_kit_buckets')}
    FOR EACH ROW WHEN (OLD.enabled IS DISTINCT FROM NEW.enabled) EXECUTE FUNCTION ${ctx.t(BUCKET_FUNCTION)}()`,
      `DROP TRIGGER IF EXISTS ${onDelete} ON ${ctx.t('phoenix_kit_buckets')}`,
      `CREATE TRIGGER ${onDelete} BEFORE DELETE ON ${ctx.t('phoenix_kit_buckets')}
    FOR EACH ROW EXECUTE FUNCTION ${ctx.t(BUCKET_FUNCTION)}()`,
    ],
    down: [
      ...bucketTriggerNames.map((name) => `DROP TRIGGER IF EXISTS ${name} ON ${ctx.t('phoenix_kit_buckets')}`),
      `DROP FUNCTION IF EXISTS ${ctx.t(BUCKET_FUNCTION)}()`,
    ],
  };
};

/** Sets every instance's count from its locations: active ones, in enabled buckets only when `enabledOnly`. */
const recount = (ctx: MigrationContext, enabledOnly: boolean) => `
  UPDATE ${ctx.t('phoenix_kit_file_instances')} i SET active_copies = COALESCE(c.n, 0)
    FROM ${ctx.t('phoenix_kit_file_instances')} i0
    LEFT JOIN (SELECT l.file_instance_uuid, COUNT(*)::integer AS n FROM ${ctx.t('phoenix_kit_file_locations')} l
                 JOIN ${ctx.t('phoenix_kit_buckets')} b ON b.uuid = l.bucket_uuid${enabledOnly ? ' AND b.enabled' : ''}
                WHERE l.status = 'active' GROUP BY l.file_instance_uuid) c ON c.file_instance_uuid = i0.uuid
   WHERE i.uuid = i0.uuid AND i.active_copies <> COALESCE(c.n, 0)`;

export default defineVersion(
  36,
  'file_instances.active_copies counts copies in enabled buckets',
  (ctx) => [...locationTriggers(ctx).up, ...bucketTriggers(ctx).up, recount(ctx, true)],
  (ctx) => [...bucketTriggers(ctx).down, ...v33Triggers(ctx).up, recount(ctx, false)],
);
