import { addConstraint, defineVersion, uuidDefaultBeforeV19 as uuidDefault } from './helpers.js';

/** Email blocklist: addresses we never send to (permanently or until expires_at). */
export default defineVersion(
  9,
  'email blocklist',
  (ctx) => [
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_email_blocklist')} (
      uuid uuid NOT NULL DEFAULT ${uuidDefault},
      email varchar(255) NOT NULL,
      reason varchar(255) NOT NULL,
      expires_at timestamptz,
      user_uuid uuid,
      inserted_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_email_blocklist', 'phoenix_kit_email_blocklist_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_email_blocklist',
      'phoenix_kit_email_blocklist_user_uuid_fkey',
      `FOREIGN KEY (user_uuid) REFERENCES ${ctx.t('phoenix_kit_users')} (uuid) ON DELETE SET NULL`,
    ),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_email_blocklist_email_index ON ${ctx.t('phoenix_kit_email_blocklist')} (email)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_email_blocklist_expires_at_index ON ${ctx.t('phoenix_kit_email_blocklist')} (expires_at)`,
  ],
  (ctx) => [`DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_email_blocklist')}`],
);
