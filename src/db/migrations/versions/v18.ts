import { defineVersion } from './helpers.js';

/** Free-form per-user data (preferred locale, avatar file, …) in users.custom_fields. */
export default defineVersion(
  18,
  'user custom fields',
  (ctx) => [`ALTER TABLE ${ctx.t('phoenix_kit_users')} ADD COLUMN IF NOT EXISTS custom_fields jsonb DEFAULT '{}'`],
  (ctx) => [`ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_users')} DROP COLUMN IF EXISTS custom_fields`],
);
