import { defineVersion } from './helpers.js';

/** users.user_timezone: an IANA name or a UTC offset such as "+05:45" (wider than the original varchar(3)). */
export default defineVersion(
  11,
  'user timezone',
  (ctx) => [`ALTER TABLE ${ctx.t('phoenix_kit_users')} ADD COLUMN IF NOT EXISTS user_timezone varchar(64)`],
  (ctx) => [`ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_users')} DROP COLUMN IF EXISTS user_timezone`],
);
