import { defineVersion, requireUniqueValues } from './helpers.js';

/** Unique index on files.checksum; refuses (without deleting anything) when duplicates exist. */
export default defineVersion(
  24,
  'unique file checksum',
  (ctx) => [
    requireUniqueValues(ctx, 'phoenix_kit_files', 'checksum', 'phoenix_kit_files_checksum_index'),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_files_checksum_index ON ${ctx.t('phoenix_kit_files')} (checksum)`,
  ],
  (ctx) => [`DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_files_checksum_index`],
);
