import { addConstraint, defineVersion, deleteSettings, seedSettings, uuidV7Default } from './helpers.js';

const settings = {
  storage_redundancy_copies: '1',
  storage_auto_generate_variants: 'true',
  storage_default_bucket_uuid: null,
};

// name, applies_to, width, height, quality, format, order (reference §2.3)
const dimensions: ReadonlyArray<[string, string, number, number, number, string, number]> = [
  ['thumbnail', 'image', 150, 150, 85, 'jpg', 1],
  ['small', 'image', 300, 300, 85, 'jpg', 2],
  ['medium', 'image', 800, 600, 85, 'jpg', 3],
  ['large', 'image', 1920, 1080, 85, 'jpg', 4],
  ['360p', 'video', 640, 360, 28, 'mp4', 5],
  ['720p', 'video', 1280, 720, 28, 'mp4', 6],
  ['1080p', 'video', 1920, 1080, 28, 'mp4', 7],
  ['video_thumbnail', 'video', 640, 360, 85, 'jpg', 8],
];

/** Storage: buckets, files, their variant instances and stored locations, variant dimensions; default seeds. */
export default defineVersion(
  20,
  'storage',
  (ctx) => [
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_buckets')} (
      uuid uuid NOT NULL DEFAULT ${uuidV7Default(ctx)},
      name varchar(255) NOT NULL,
      provider varchar(255) NOT NULL,
      region varchar(255),
      endpoint varchar(255),
      bucket_name varchar(255),
      access_key_id varchar(255),
      cdn_url varchar(255),
      path_prefix varchar(255),
      secret_access_key text,
      enabled boolean NOT NULL DEFAULT true,
      priority integer NOT NULL DEFAULT 0,
      max_size_mb bigint,
      access_type varchar(20) NOT NULL DEFAULT 'public',
      inserted_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_buckets', 'phoenix_kit_buckets_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(ctx, 'phoenix_kit_buckets', 'phoenix_kit_buckets_provider_check', `CHECK (provider IN ('local', 's3', 'b2', 'r2'))`),
    addConstraint(
      ctx,
      'phoenix_kit_buckets',
      'phoenix_kit_buckets_access_type_check',
      `CHECK (access_type IN ('public', 'private', 'signed'))`,
    ),
    addConstraint(ctx, 'phoenix_kit_buckets', 'phoenix_kit_buckets_priority_check', 'CHECK (priority >= 0)'),
    addConstraint(ctx, 'phoenix_kit_buckets', 'phoenix_kit_buckets_max_size_mb_check', 'CHECK (max_size_mb > 0)'),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_buckets_enabled_index ON ${ctx.t('phoenix_kit_buckets')} (enabled)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_buckets_provider_index ON ${ctx.t('phoenix_kit_buckets')} (provider)`,

    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_files')} (
      uuid uuid NOT NULL DEFAULT ${uuidV7Default(ctx)},
      original_file_name varchar(255) NOT NULL,
      file_name varchar(255) NOT NULL,
      mime_type varchar(255) NOT NULL,
      file_type varchar(255) NOT NULL,
      ext varchar(255) NOT NULL,
      file_path varchar(255),
      checksum varchar(255) NOT NULL,
      size bigint NOT NULL,
      width integer,
      height integer,
      duration integer,
      status varchar(255) NOT NULL DEFAULT 'processing',
      metadata jsonb,
      user_uuid uuid NOT NULL,
      trashed_at timestamptz,
      inserted_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_files', 'phoenix_kit_files_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_files',
      'fk_files_user_uuid',
      `FOREIGN KEY (user_uuid) REFERENCES ${ctx.t('phoenix_kit_users')} (uuid) ON DELETE CASCADE`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_files',
      'phoenix_kit_files_status_check',
      `CHECK (status IN ('processing', 'active', 'failed', 'trashed'))`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_files',
      'phoenix_kit_files_file_type_check',
      `CHECK (file_type IN ('image', 'video', 'audio', 'document', 'archive', 'other', 'tile'))`,
    ),
    addConstraint(ctx, 'phoenix_kit_files', 'phoenix_kit_files_size_check', 'CHECK (size >= 0)'),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_files_file_path_index ON ${ctx.t('phoenix_kit_files')} (file_path)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_files_file_type_index ON ${ctx.t('phoenix_kit_files')} (file_type)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_files_inserted_at_index ON ${ctx.t('phoenix_kit_files')} (inserted_at)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_files_status_index ON ${ctx.t('phoenix_kit_files')} (status)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_files_user_uuid_idx ON ${ctx.t('phoenix_kit_files')} (user_uuid)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_files_trashed_at_index
       ON ${ctx.t('phoenix_kit_files')} (trashed_at) WHERE trashed_at IS NOT NULL`,

    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_file_instances')} (
      uuid uuid NOT NULL DEFAULT ${uuidV7Default(ctx)},
      variant_name varchar(255) NOT NULL,
      file_name varchar(255) NOT NULL,
      mime_type varchar(255) NOT NULL,
      ext varchar(255) NOT NULL,
      checksum varchar(255) NOT NULL,
      size bigint NOT NULL,
      width integer,
      height integer,
      processing_status varchar(255) NOT NULL DEFAULT 'pending',
      file_uuid uuid NOT NULL,
      inserted_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_file_instances', 'phoenix_kit_file_instances_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_file_instances',
      'phoenix_kit_file_instances_file_id_fkey',
      `FOREIGN KEY (file_uuid) REFERENCES ${ctx.t('phoenix_kit_files')} (uuid) ON DELETE CASCADE`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_file_instances',
      'phoenix_kit_file_instances_processing_status_check',
      `CHECK (processing_status IN ('pending', 'processing', 'completed', 'failed'))`,
    ),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_file_instances_file_id_index ON ${ctx.t('phoenix_kit_file_instances')} (file_uuid)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_file_instances_processing_status_index
       ON ${ctx.t('phoenix_kit_file_instances')} (processing_status)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_file_instances_variant_name_index
       ON ${ctx.t('phoenix_kit_file_instances')} (variant_name)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_file_instances_file_uuid_variant_name_index
       ON ${ctx.t('phoenix_kit_file_instances')} (file_uuid, variant_name)`,

    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_file_locations')} (
      uuid uuid NOT NULL DEFAULT ${uuidV7Default(ctx)},
      path varchar(255) NOT NULL,
      status varchar(255) NOT NULL DEFAULT 'active',
      priority integer NOT NULL DEFAULT 0,
      last_verified_at timestamptz,
      file_instance_uuid uuid NOT NULL,
      bucket_uuid uuid NOT NULL,
      inserted_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_file_locations', 'phoenix_kit_file_locations_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_file_locations',
      'phoenix_kit_file_locations_file_instance_id_fkey',
      `FOREIGN KEY (file_instance_uuid) REFERENCES ${ctx.t('phoenix_kit_file_instances')} (uuid) ON DELETE CASCADE`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_file_locations',
      'phoenix_kit_file_locations_bucket_id_fkey',
      `FOREIGN KEY (bucket_uuid) REFERENCES ${ctx.t('phoenix_kit_buckets')} (uuid) ON DELETE CASCADE`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_file_locations',
      'phoenix_kit_file_locations_status_check',
      `CHECK (status IN ('active', 'syncing', 'failed', 'deleted'))`,
    ),
    addConstraint(ctx, 'phoenix_kit_file_locations', 'phoenix_kit_file_locations_priority_check', 'CHECK (priority >= 0)'),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_file_locations_bucket_id_index ON ${ctx.t('phoenix_kit_file_locations')} (bucket_uuid)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_file_locations_file_instance_id_index
       ON ${ctx.t('phoenix_kit_file_locations')} (file_instance_uuid)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_file_locations_status_index ON ${ctx.t('phoenix_kit_file_locations')} (status)`,

    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_storage_dimensions')} (
      uuid uuid NOT NULL DEFAULT ${uuidV7Default(ctx)},
      name varchar(255) NOT NULL,
      width integer,
      height integer,
      quality integer NOT NULL DEFAULT 85,
      format varchar(255),
      applies_to varchar(255) NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      "order" integer NOT NULL DEFAULT 0,
      alternative_formats text[] NOT NULL DEFAULT '{}',
      inserted_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_storage_dimensions', 'phoenix_kit_storage_dimensions_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_storage_dimensions',
      'phoenix_kit_storage_dimensions_applies_to_check',
      `CHECK (applies_to IN ('image', 'video', 'both'))`,
    ),
    addConstraint(ctx, 'phoenix_kit_storage_dimensions', 'phoenix_kit_storage_dimensions_width_check', 'CHECK (width > 0)'),
    addConstraint(ctx, 'phoenix_kit_storage_dimensions', 'phoenix_kit_storage_dimensions_height_check', 'CHECK (height > 0)'),
    addConstraint(
      ctx,
      'phoenix_kit_storage_dimensions',
      'phoenix_kit_storage_dimensions_quality_check',
      'CHECK (quality BETWEEN 0 AND 100)',
    ),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_storage_dimensions_name_index ON ${ctx.t('phoenix_kit_storage_dimensions')} (name)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_storage_dimensions_enabled_index ON ${ctx.t('phoenix_kit_storage_dimensions')} (enabled)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_storage_dimensions_order_index ON ${ctx.t('phoenix_kit_storage_dimensions')} ("order")`,

    `INSERT INTO ${ctx.t('phoenix_kit_buckets')} (name, provider, endpoint, access_type, enabled, priority)
     SELECT 'Local Storage', 'local', 'priv/media', 'public', true, 0
      WHERE NOT EXISTS (SELECT 1 FROM ${ctx.t('phoenix_kit_buckets')} WHERE name = 'Local Storage')`,
    `INSERT INTO ${ctx.t('phoenix_kit_storage_dimensions')} (name, applies_to, width, height, quality, format, "order")
     VALUES ${dimensions.map(([name, appliesTo, w, h, q, format, order]) => `('${name}', '${appliesTo}', ${w}, ${h}, ${q}, '${format}', ${order})`).join(',\n            ')}
     ON CONFLICT (name) DO NOTHING`,
    seedSettings(ctx, 'storage', settings),
  ],
  (ctx) => [
    deleteSettings(ctx, Object.keys(settings)),
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_file_locations')}`,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_file_instances')}`,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_files')}`,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_storage_dimensions')}`,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_buckets')}`,
  ],
);
