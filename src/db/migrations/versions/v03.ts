import { addConstraint, defineVersion, uuidDefaultBeforeV19 as uuidDefault } from './helpers.js';

/** Key/value settings table with the date/time defaults. */
export default defineVersion(
  3,
  'settings',
  (ctx) => [
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_settings')} (
      uuid uuid NOT NULL DEFAULT ${uuidDefault},
      key varchar(255) NOT NULL,
      value text NOT NULL,
      date_added timestamptz NOT NULL DEFAULT now(),
      date_updated timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_settings', 'phoenix_kit_settings_pkey', 'PRIMARY KEY (uuid)'),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_settings_key_uidx ON ${ctx.t('phoenix_kit_settings')} (key)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_settings_key_prefix_idx ON ${ctx.t('phoenix_kit_settings')} (key text_pattern_ops)`,

    `INSERT INTO ${ctx.t('phoenix_kit_settings')} (key, value) VALUES
       ('time_zone', '0'),
       ('date_format', 'Y-m-d'),
       ('time_format', 'H:i')
     ON CONFLICT (key) DO NOTHING`,
  ],
  (ctx) => [`DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_settings')}`],
);
