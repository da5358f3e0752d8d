import { defineVersion } from './helpers.js';

/**
 * buckets.force_path_style: whether the S3-compatible driver addresses objects as `endpoint/bucket/key` (path style)
 * or `bucket.endpoint/key` (virtual-hosted). Until now the driver chose path style exactly when an endpoint was set;
 * existing rows keep that choice (false only for S3-compatible rows without an endpoint, i.e. AWS itself). The column
 * default is true (MinIO, B2, R2 and test servers all answer path style); `createBucket` picks per row, see README.
 * Column and backfill are added together, once, so re-running the version changes nothing.
 */
export default defineVersion(
  35,
  'buckets.force_path_style',
  (ctx) => [
    `DO $$ BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM information_schema.columns
     WHERE table_schema = '${ctx.prefix}' AND table_name = 'phoenix_kit_buckets' AND column_name = 'force_path_style'
  ) THEN
    ALTER TABLE ${ctx.t('phoenix_kit_buckets')} ADD COLUMN force_path_style boolean NOT NULL DEFAULT true;
    UPDATE ${ctx.t('phoenix_kit_buckets')} SET force_path_style = false
     WHERE provider <> 'local' AND btrim(COALESCE(endpoint, '')) = '';
  END IF;
END $$`,
  ],
  (ctx) => [`ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_buckets')} DROP COLUMN IF EXISTS force_path_style`],
);
