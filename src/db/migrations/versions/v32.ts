import { defineVersion } from './helpers.js';

/**
 * Stored objects are found by path: an upload looks for copies of the same bytes (by any user) and a deletion counts
 * what still points at an object before removing its bytes. Without this index both scanned every location.
 */
export default defineVersion(
  32,
  'file_locations (path, bucket_uuid) index',
  (ctx) => [
    `CREATE INDEX IF NOT EXISTS phoenix_kit_file_locations_path_bucket_uuid_index
       ON ${ctx.t('phoenix_kit_file_locations')} (path, bucket_uuid)`,
  ],
  (ctx) => [`DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_file_locations_path_bucket_uuid_index`],
);
