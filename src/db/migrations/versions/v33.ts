import type { MigrationContext } from '../types.js';
import { addConstraint, defineVersion, statementTriggers, type RowChange } from './helpers.js';

/**
 * `file_instances.active_copies`: the instance's active locations, kept by statement triggers on file_locations, so
 * finding under-replicated files (storage health, the repair job) reads an index instead of counting every location.
 */

/** (file_instance_uuid, n): +1 per row that became an active location, -1 per row that stopped being one. */
function changes(change: RowChange): string {
  const added = `SELECT file_instance_uuid, 1 AS n FROM new_rows WHERE status = 'active'`;
  const removed = `SELECT file_instance_uuid, -1 AS n FROM old_rows WHERE status = 'active'`;
  return change === 'insert' ? added : change === 'delete' ? removed : `${added} UNION ALL ${removed}`;
}

/** The triggers as this version made them (V36 puts them back on its down). */
export const triggers = (ctx: MigrationContext) =>
  statementTriggers(
    ctx,
    'phoenix_kit_file_locations',
    'copies',
    (change) => `  UPDATE ${ctx.t('phoenix_kit_file_instances')} i SET active_copies = GREATEST(i.active_copies + d.n, 0)
    FROM (SELECT file_instance_uuid, SUM(n)::integer AS n FROM (${changes(change)}) c
           GROUP BY file_instance_uuid HAVING SUM(n) <> 0) d
   WHERE i.uuid = d.file_instance_uuid;`,
  );

export default defineVersion(
  33,
  'file_instances.active_copies',
  (ctx) => [
    `ALTER TABLE ${ctx.t('phoenix_kit_file_instances')} ADD COLUMN IF NOT EXISTS active_copies integer NOT NULL DEFAULT 0`,
    `UPDATE ${ctx.t('phoenix_kit_file_instances')} i SET active_copies = c.n
       FROM (SELECT file_instance_uuid, COUNT(*)::integer AS n FROM ${ctx.t('phoenix_kit_file_locations')}
              WHERE status = 'active' GROUP BY file_instance_uuid) c
      WHERE i.uuid = c.file_instance_uuid`,
    addConstraint(ctx, 'phoenix_kit_file_instances', 'phoenix_kit_file_instances_active_copies_check', 'CHECK (active_copies >= 0)'),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_file_instances_completed_active_copies_index
       ON ${ctx.t('phoenix_kit_file_instances')} (active_copies) WHERE processing_status = 'completed'`,
    ...triggers(ctx).up,
  ],
  (ctx) => [
    ...triggers(ctx).down,
    `DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_file_instances_completed_active_copies_index`,
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_file_instances')} DROP CONSTRAINT IF EXISTS phoenix_kit_file_instances_active_copies_check`,
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_file_instances')} DROP COLUMN IF EXISTS active_copies`,
  ],
);
