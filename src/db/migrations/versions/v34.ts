import { defineVersion, ensureExtension } from './helpers.js';

/**
 * Trigram index on `files.original_file_name`: the `files` query's search by name (a case-insensitive substring, an
 * `ILIKE '%…%'`) can use it instead of reading every file row. `pg_trgm` is database-wide and stays after a down.
 */
export default defineVersion(
  34,
  'files.original_file_name trigram index',
  (ctx) => [
    ensureExtension('pg_trgm'),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_files_original_file_name_trgm_index
       ON ${ctx.t('phoenix_kit_files')} USING gin (original_file_name public.gin_trgm_ops)`,
  ],
  (ctx) => [`DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_files_original_file_name_trgm_index`],
);
