import { addConstraint, defineVersion, deleteSettings, seedSettings, uuidV7Default } from './helpers.js';

const settings = {
  comments_enabled: 'false',
  comments_max_depth: '10',
  comments_max_length: '10000',
  comments_moderation: 'false',
  comments_attachments_enabled: 'false',
  comments_max_attachments: '4',
  comments_attachment_max_size_mb: '20',
};

/** Threaded comments on any resource (resource_type + resource_uuid), plus the comments module settings. */
export default defineVersion(
  28,
  'comments',
  (ctx) => [
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_comments')} (
      uuid uuid NOT NULL DEFAULT ${uuidV7Default(ctx)},
      resource_type varchar(50) NOT NULL,
      resource_uuid uuid NOT NULL,
      user_uuid uuid,
      parent_uuid uuid,
      depth integer NOT NULL DEFAULT 0,
      body text NOT NULL,
      status varchar(20) NOT NULL DEFAULT 'published',
      like_count integer NOT NULL DEFAULT 0,
      dislike_count integer NOT NULL DEFAULT 0,
      metadata jsonb NOT NULL DEFAULT '{}',
      edited_at timestamptz,
      inserted_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_comments', 'phoenix_kit_comments_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_comments',
      'phoenix_kit_comments_user_uuid_fkey',
      `FOREIGN KEY (user_uuid) REFERENCES ${ctx.t('phoenix_kit_users')} (uuid) ON DELETE SET NULL`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_comments',
      'phoenix_kit_comments_parent_uuid_fkey',
      `FOREIGN KEY (parent_uuid) REFERENCES ${ctx.t('phoenix_kit_comments')} (uuid) ON DELETE CASCADE`,
    ),
    addConstraint(ctx, 'phoenix_kit_comments', 'phoenix_kit_comments_depth_check', 'CHECK (depth >= 0)'),
    addConstraint(
      ctx,
      'phoenix_kit_comments',
      'phoenix_kit_comments_status_check',
      `CHECK (status IN ('published', 'pending', 'hidden', 'deleted'))`,
    ),
    // `<table>_<cols>_index` would be 66 bytes, over the 63-byte identifier limit
    `CREATE INDEX IF NOT EXISTS phoenix_kit_comments_resource_inserted_at_index
       ON ${ctx.t('phoenix_kit_comments')} (resource_type, resource_uuid, inserted_at)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_comments_user_uuid_index ON ${ctx.t('phoenix_kit_comments')} (user_uuid)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_comments_parent_uuid_index ON ${ctx.t('phoenix_kit_comments')} (parent_uuid)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_comments_status_index ON ${ctx.t('phoenix_kit_comments')} (status)`,
    seedSettings(ctx, 'comments', settings),
  ],
  (ctx) => [deleteSettings(ctx, Object.keys(settings)), `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_comments')}`],
);
