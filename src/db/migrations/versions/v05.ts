import { defineVersion } from './helpers.js';

/** settings.module: which module a setting belongs to; the V03 defaults belong to 'system'. */
export default defineVersion(
  5,
  'settings module',
  (ctx) => [
    `ALTER TABLE ${ctx.t('phoenix_kit_settings')} ADD COLUMN IF NOT EXISTS module varchar(255)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_settings_module_index ON ${ctx.t('phoenix_kit_settings')} (module)`,
    `UPDATE ${ctx.t('phoenix_kit_settings')} SET module = 'system'
      WHERE key IN ('time_zone', 'date_format', 'time_format') AND module IS NULL`,
  ],
  (ctx) => [`ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_settings')} DROP COLUMN IF EXISTS module`],
);
