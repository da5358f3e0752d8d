import {
  addConstraint,
  defineVersion,
  deleteSettings,
  seedSettings,
  uuidDefaultBeforeV19 as uuidDefault,
} from './helpers.js';

const settings = {
  entities_enabled: 'false',
  entities_max_per_user: '100',
  entities_allow_relations: 'true',
  entities_file_upload: 'false',
};

/** Entities (dynamic content types) and their data rows, plus the entities module settings. */
export default defineVersion(
  17,
  'entities',
  (ctx) => [
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_entities')} (
      uuid uuid NOT NULL DEFAULT ${uuidDefault},
      name varchar(255) NOT NULL,
      display_name varchar(255) NOT NULL,
      display_name_plural varchar(255),
      description text,
      icon varchar(255),
      status varchar(255) NOT NULL DEFAULT 'draft',
      fields_definition jsonb NOT NULL DEFAULT '[]',
      settings jsonb,
      created_by_uuid uuid NOT NULL,
      position integer DEFAULT 0,
      date_created timestamptz NOT NULL DEFAULT now(),
      date_updated timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_entities', 'phoenix_kit_entities_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_entities',
      'phoenix_kit_entities_status_check',
      `CHECK (status IN ('draft', 'published', 'archived'))`,
    ),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_entities_name_uidx ON ${ctx.t('phoenix_kit_entities')} (name)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_entities_status_index ON ${ctx.t('phoenix_kit_entities')} (status)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_entities_created_by_uuid_index ON ${ctx.t('phoenix_kit_entities')} (created_by_uuid)`,

    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_entity_data')} (
      uuid uuid NOT NULL DEFAULT ${uuidDefault},
      entity_uuid uuid NOT NULL,
      title varchar(255) NOT NULL,
      slug varchar(255),
      status varchar(255) NOT NULL DEFAULT 'draft',
      data jsonb NOT NULL DEFAULT '{}',
      metadata jsonb,
      created_by_uuid uuid,
      position integer,
      parent_uuid uuid,
      date_created timestamptz NOT NULL DEFAULT now(),
      date_updated timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_entity_data', 'phoenix_kit_entity_data_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_entity_data',
      'fk_entity_data_entity_uuid',
      `FOREIGN KEY (entity_uuid) REFERENCES ${ctx.t('phoenix_kit_entities')} (uuid) ON DELETE CASCADE`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_entity_data',
      'phoenix_kit_entity_data_parent_uuid_fkey',
      `FOREIGN KEY (parent_uuid) REFERENCES ${ctx.t('phoenix_kit_entity_data')} (uuid) ON DELETE SET NULL`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_entity_data',
      'phoenix_kit_entity_data_status_check',
      `CHECK (status IN ('draft', 'published', 'archived'))`,
    ),
    // product: slugs are unique per entity (the reference only has a plain slug index)
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_entity_data_entity_slug_uidx
       ON ${ctx.t('phoenix_kit_entity_data')} (entity_uuid, slug) WHERE slug IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_entity_data_status_index ON ${ctx.t('phoenix_kit_entity_data')} (status)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_entity_data_title_index ON ${ctx.t('phoenix_kit_entity_data')} (title)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_entity_data_entity_uuid_index ON ${ctx.t('phoenix_kit_entity_data')} (entity_uuid)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_entity_data_created_by_uuid_index
       ON ${ctx.t('phoenix_kit_entity_data')} (created_by_uuid)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_entity_data_entity_uuid_position_index
       ON ${ctx.t('phoenix_kit_entity_data')} (entity_uuid, position)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_entity_data_parent_uuid_index ON ${ctx.t('phoenix_kit_entity_data')} (parent_uuid)`,

    seedSettings(ctx, 'entities', settings),
  ],
  (ctx) => [
    deleteSettings(ctx, Object.keys(settings)),
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_entity_data')}`,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_entities')}`,
  ],
);
