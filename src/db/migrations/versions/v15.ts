import { addConstraint, defineVersion, uuidDefaultBeforeV19 as uuidDefault } from './helpers.js';

/** Email templates with per-locale jsonb texts. */
export default defineVersion(
  15,
  'email templates',
  (ctx) => [
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_email_templates')} (
      uuid uuid NOT NULL DEFAULT ${uuidDefault},
      name varchar(100) NOT NULL,
      slug varchar(100) NOT NULL,
      display_name jsonb NOT NULL DEFAULT '{}',
      description jsonb NOT NULL DEFAULT '{}',
      subject jsonb NOT NULL DEFAULT '{}',
      html_body jsonb NOT NULL DEFAULT '{}',
      text_body jsonb NOT NULL DEFAULT '{}',
      category varchar(50) NOT NULL DEFAULT 'transactional',
      status varchar(20) NOT NULL DEFAULT 'draft',
      variables jsonb NOT NULL DEFAULT '{}',
      metadata jsonb NOT NULL DEFAULT '{}',
      usage_count integer NOT NULL DEFAULT 0,
      last_used_at timestamptz,
      version integer NOT NULL DEFAULT 1,
      is_system boolean NOT NULL DEFAULT false,
      created_by_user_uuid uuid,
      updated_by_user_uuid uuid,
      inserted_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_email_templates', 'phoenix_kit_email_templates_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_email_templates',
      'phoenix_kit_email_templates_created_by_user_uuid_fkey',
      `FOREIGN KEY (created_by_user_uuid) REFERENCES ${ctx.t('phoenix_kit_users')} (uuid) ON DELETE SET NULL`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_email_templates',
      'phoenix_kit_email_templates_updated_by_user_uuid_fkey',
      `FOREIGN KEY (updated_by_user_uuid) REFERENCES ${ctx.t('phoenix_kit_users')} (uuid) ON DELETE SET NULL`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_email_templates',
      'phoenix_kit_email_templates_category_check',
      `CHECK (category IN ('system', 'marketing', 'transactional', 'notification', 'newsletters'))`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_email_templates',
      'phoenix_kit_email_templates_status_check',
      `CHECK (status IN ('active', 'draft', 'archived'))`,
    ),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_email_templates_name_index ON ${ctx.t('phoenix_kit_email_templates')} (name)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_email_templates_slug_index ON ${ctx.t('phoenix_kit_email_templates')} (slug)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_email_templates_category_index ON ${ctx.t('phoenix_kit_email_templates')} (category)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_email_templates_status_index ON ${ctx.t('phoenix_kit_email_templates')} (status)`,
  ],
  (ctx) => [`DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_email_templates')}`],
);
