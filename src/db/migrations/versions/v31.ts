import type { MigrationContext } from '../types.js';
import { addConstraint, defineVersion, statementTriggers, uuidV7Default, type RowChange } from './helpers.js';

/**
 * Bucket usage kept up to date by the database, so choosing buckets for an upload no longer sums every stored
 * copy. `phoenix_kit_bucket_objects` counts the active locations per stored object (bucket + path: identical bytes
 * of several users are one object); `phoenix_kit_bucket_usage` is a ledger of byte changes per bucket, written only
 * when an object appears or disappears. The ledger is append-only, so concurrent uploads never wait on a shared
 * counter row; readers sum it, and the application folds it into one row per bucket now and then.
 */

/**
 * The active-location changes of one statement, as (bucket_uuid, path, file_instance_uuid, n) rows: +1 for a row
 * that became an active location of an object, -1 for one that stopped being one.
 */
function changes(change: RowChange): string {
  const added = `SELECT bucket_uuid, path, file_instance_uuid, 1 AS n FROM new_rows WHERE status = 'active'`;
  const removed = `SELECT bucket_uuid, path, NULL::uuid AS file_instance_uuid, -1 AS n FROM old_rows WHERE status = 'active'`;
  return change === 'insert' ? added : change === 'delete' ? removed : `${added} UNION ALL ${removed}`;
}

/** The trigger body: objects' refs by the statement's net change, and the ledger rows of objects that came or went. */
function syncObjects(ctx: MigrationContext, change: RowChange): string {
  const objects = ctx.t('phoenix_kit_bucket_objects');
  const ledger = ctx.t('phoenix_kit_bucket_usage');
  const buckets = ctx.t('phoenix_kit_buckets');
  // net change per object; the size comes from the instance of an added row (a removed row's instance may be gone)
  const net = `c AS (${changes(change)}),
      d AS (SELECT bucket_uuid, path, (array_agg(file_instance_uuid) FILTER (WHERE file_instance_uuid IS NOT NULL))[1] AS inst,
                   SUM(n)::integer AS n
              FROM c GROUP BY bucket_uuid, path HAVING SUM(n) <> 0)`;
  return `  -- objects in key order, so two statements touching the same objects lock them in the same order
  WITH ${net},
       up AS (
         INSERT INTO ${objects} AS o (bucket_uuid, path, size, refs)
         SELECT d.bucket_uuid, d.path, COALESCE(i.size, 0), GREATEST(d.n, 0)
           FROM d LEFT JOIN ${ctx.t('phoenix_kit_file_instances')} i ON i.uuid = d.inst
          WHERE d.n > 0 OR EXISTS (SELECT 1 FROM ${objects} x WHERE x.bucket_uuid = d.bucket_uuid AND x.path = d.path)
          ORDER BY d.bucket_uuid, d.path
         ON CONFLICT (bucket_uuid, path) DO UPDATE SET refs = GREATEST(o.refs + (SELECT d.n FROM d WHERE d.bucket_uuid = o.bucket_uuid AND d.path = o.path), 0)
         RETURNING o.bucket_uuid, o.size, (xmax = 0) AS created)
  INSERT INTO ${ledger} (bucket_uuid, bytes)
  SELECT up.bucket_uuid, SUM(up.size) FROM up
   WHERE up.created AND EXISTS (SELECT 1 FROM ${buckets} b WHERE b.uuid = up.bucket_uuid)
   GROUP BY up.bucket_uuid;

  WITH ${net},
       gone AS (
         DELETE FROM ${objects} o USING d
          WHERE o.bucket_uuid = d.bucket_uuid AND o.path = d.path AND o.refs = 0
         RETURNING o.bucket_uuid, o.size)
  INSERT INTO ${ledger} (bucket_uuid, bytes)
  SELECT gone.bucket_uuid, -SUM(gone.size) FROM gone
   WHERE EXISTS (SELECT 1 FROM ${buckets} b WHERE b.uuid = gone.bucket_uuid)
   GROUP BY gone.bucket_uuid;`;
}

const triggers = (ctx: MigrationContext) =>
  statementTriggers(ctx, 'phoenix_kit_file_locations', 'objects', (change) => syncObjects(ctx, change));

export default defineVersion(
  31,
  'bucket usage',
  (ctx) => [
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_bucket_objects')} (
      bucket_uuid uuid NOT NULL,
      path varchar(255) NOT NULL,
      size bigint NOT NULL,
      refs integer NOT NULL
    )`,
    addConstraint(ctx, 'phoenix_kit_bucket_objects', 'phoenix_kit_bucket_objects_pkey', 'PRIMARY KEY (bucket_uuid, path)'),
    addConstraint(ctx, 'phoenix_kit_bucket_objects', 'phoenix_kit_bucket_objects_refs_check', 'CHECK (refs >= 0)'),
    addConstraint(
      ctx,
      'phoenix_kit_bucket_objects',
      'phoenix_kit_bucket_objects_bucket_uuid_fkey',
      `FOREIGN KEY (bucket_uuid) REFERENCES ${ctx.t('phoenix_kit_buckets')}(uuid) ON DELETE CASCADE`,
    ),
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_bucket_usage')} (
      uuid uuid NOT NULL DEFAULT ${uuidV7Default(ctx)},
      bucket_uuid uuid NOT NULL,
      bytes bigint NOT NULL,
      inserted_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_bucket_usage', 'phoenix_kit_bucket_usage_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_bucket_usage',
      'phoenix_kit_bucket_usage_bucket_uuid_fkey',
      `FOREIGN KEY (bucket_uuid) REFERENCES ${ctx.t('phoenix_kit_buckets')}(uuid) ON DELETE CASCADE`,
    ),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_bucket_usage_bucket_uuid_index ON ${ctx.t('phoenix_kit_bucket_usage')} (bucket_uuid)`,
    // what is stored already; the ledger gets only the objects this run added (a re-run adds none)
    `WITH added AS (
       INSERT INTO ${ctx.t('phoenix_kit_bucket_objects')} (bucket_uuid, path, size, refs)
       SELECT l.bucket_uuid, l.path, MAX(i.size), COUNT(*)
         FROM ${ctx.t('phoenix_kit_file_locations')} l
         JOIN ${ctx.t('phoenix_kit_file_instances')} i ON i.uuid = l.file_instance_uuid
        WHERE l.status = 'active'
        GROUP BY l.bucket_uuid, l.path
       ON CONFLICT DO NOTHING
       RETURNING bucket_uuid, size)
     INSERT INTO ${ctx.t('phoenix_kit_bucket_usage')} (bucket_uuid, bytes)
     SELECT bucket_uuid, SUM(size) FROM added GROUP BY bucket_uuid`,
    ...triggers(ctx).up,
  ],
  (ctx) => [
    ...triggers(ctx).down,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_bucket_usage')}`,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_bucket_objects')}`,
  ],
);
