import type { MigrationContext } from '../types.js';
import { defineVersion, requireUniqueValues } from './helpers.js';

/** Renames `from` to `to` on phoenix_kit_files only while `from` still exists (re-runs are no-ops). */
function renameFilesColumn(ctx: MigrationContext, from: string, to: string): string {
  return `DO $$ BEGIN
  IF EXISTS (
    SELECT 1 FROM information_schema.columns
     WHERE table_schema = '${ctx.prefix}' AND table_name = 'phoenix_kit_files' AND column_name = '${from}'
  ) THEN
    ALTER TABLE ${ctx.t('phoenix_kit_files')} RENAME COLUMN ${from} TO ${to};
  END IF;
END $$`;
}

/** Per-user dedup: checksum → file_checksum, user_file_checksum = sha256(user_uuid || file_checksum) unique per prefix. */
export default defineVersion(
  26,
  'per-user file checksum',
  (ctx) => [
    `DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_files_checksum_index`,
    renameFilesColumn(ctx, 'checksum', 'file_checksum'),
    `ALTER TABLE ${ctx.t('phoenix_kit_files')} ADD COLUMN IF NOT EXISTS user_file_checksum varchar(255)`,
    `UPDATE ${ctx.t('phoenix_kit_files')}
        SET user_file_checksum = encode(public.digest(user_uuid::text || file_checksum, 'sha256'), 'hex')
      WHERE user_file_checksum IS NULL`,
    `ALTER TABLE ${ctx.t('phoenix_kit_files')} ALTER COLUMN user_file_checksum SET NOT NULL`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${ctx.prefix}_phoenix_kit_files_user_file_checksum_index
       ON ${ctx.t('phoenix_kit_files')} (user_file_checksum)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_files_file_checksum_index ON ${ctx.t('phoenix_kit_files')} (file_checksum)`,
  ],
  (ctx) => [
    `DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_files_file_checksum_index`,
    `DROP INDEX IF EXISTS ${ctx.schema}.${ctx.prefix}_phoenix_kit_files_user_file_checksum_index`,
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_files')} DROP COLUMN IF EXISTS user_file_checksum`,
    renameFilesColumn(ctx, 'file_checksum', 'checksum'),
    // the same content uploaded by two users cannot go back under a global unique index: refuse, keep the rows
    requireUniqueValues(ctx, 'phoenix_kit_files', 'checksum', 'phoenix_kit_files_checksum_index'),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_files_checksum_index ON ${ctx.t('phoenix_kit_files')} (checksum)`,
  ],
);
