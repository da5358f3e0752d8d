import { addConstraint, defineVersion, dropConstraint, uuidV7Default } from './helpers.js';

/** System-managed child files (tiles) owned by a parent file instead of a user, and comment attachments. */
export default defineVersion(
  29,
  'system files and comment media',
  (ctx) => [
    `ALTER TABLE ${ctx.t('phoenix_kit_files')}
       ADD COLUMN IF NOT EXISTS system_managed boolean NOT NULL DEFAULT false,
       ADD COLUMN IF NOT EXISTS parent_file_uuid uuid`,
    addConstraint(
      ctx,
      'phoenix_kit_files',
      'phoenix_kit_files_parent_file_uuid_fkey',
      `FOREIGN KEY (parent_file_uuid) REFERENCES ${ctx.t('phoenix_kit_files')} (uuid) ON DELETE CASCADE`,
    ),
    `ALTER TABLE ${ctx.t('phoenix_kit_files')} ALTER COLUMN user_uuid DROP NOT NULL`,
    addConstraint(
      ctx,
      'phoenix_kit_files',
      'phoenix_kit_files_user_or_parent_check',
      'CHECK (user_uuid IS NOT NULL OR parent_file_uuid IS NOT NULL)',
    ),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_files_parent_uuid_index
       ON ${ctx.t('phoenix_kit_files')} (parent_file_uuid) WHERE parent_file_uuid IS NOT NULL`,
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_files_system_dedup_index
       ON ${ctx.t('phoenix_kit_files')} (parent_file_uuid, file_name) WHERE system_managed = true`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_files_system_managed_index
       ON ${ctx.t('phoenix_kit_files')} (inserted_at DESC) WHERE system_managed = false`,

    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_comment_media')} (
      uuid uuid NOT NULL DEFAULT ${uuidV7Default(ctx)},
      comment_uuid uuid NOT NULL,
      file_uuid uuid NOT NULL,
      position integer NOT NULL,
      caption text,
      inserted_at timestamp(0) without time zone NOT NULL DEFAULT now(),
      updated_at timestamp(0) without time zone NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_comment_media', 'phoenix_kit_comment_media_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_comment_media',
      'phoenix_kit_comment_media_comment_uuid_fkey',
      `FOREIGN KEY (comment_uuid) REFERENCES ${ctx.t('phoenix_kit_comments')} (uuid) ON DELETE CASCADE`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_comment_media',
      'phoenix_kit_comment_media_file_uuid_fkey',
      `FOREIGN KEY (file_uuid) REFERENCES ${ctx.t('phoenix_kit_files')} (uuid) ON DELETE RESTRICT`,
    ),
    addConstraint(ctx, 'phoenix_kit_comment_media', 'phoenix_kit_comment_media_position_check', 'CHECK (position > 0)'),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_comment_media_comment_position_index
       ON ${ctx.t('phoenix_kit_comment_media')} (comment_uuid, position)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_comment_media_file_uuid_index ON ${ctx.t('phoenix_kit_comment_media')} (file_uuid)`,
  ],
  (ctx) => [
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_comment_media')}`,
    // files without an owner (system-managed tiles) cannot exist under NOT NULL; their children cascade with them
    `DELETE FROM ${ctx.t('phoenix_kit_files')} WHERE user_uuid IS NULL`,
    dropConstraint(ctx, 'phoenix_kit_files', 'phoenix_kit_files_user_or_parent_check'),
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_files')} ALTER COLUMN user_uuid SET NOT NULL`,
    `DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_files_system_managed_index`,
    `DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_files_system_dedup_index`,
    `DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_files_parent_uuid_index`,
    dropConstraint(ctx, 'phoenix_kit_files', 'phoenix_kit_files_parent_file_uuid_fkey'),
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_files')} DROP COLUMN IF EXISTS parent_file_uuid, DROP COLUMN IF EXISTS system_managed`,
  ],
);
