import { addConstraint, defineVersion, dropConstraint } from './helpers.js';

/** settings.value_json for structured values; a setting holds either value or value_json, not both. */
export default defineVersion(
  12,
  'settings json values',
  (ctx) => [
    `ALTER TABLE ${ctx.t('phoenix_kit_settings')} ADD COLUMN IF NOT EXISTS value_json jsonb`,
    `ALTER TABLE ${ctx.t('phoenix_kit_settings')} ALTER COLUMN value DROP NOT NULL`,
    addConstraint(
      ctx,
      'phoenix_kit_settings',
      'phoenix_kit_settings_value_or_json_check',
      'CHECK (NOT (value IS NOT NULL AND value_json IS NOT NULL))',
    ),
  ],
  (ctx) => [
    // the check goes first: copying the json into value would violate it
    dropConstraint(ctx, 'phoenix_kit_settings', 'phoenix_kit_settings_value_or_json_check'),
    // json-only rows keep their content as text so value can be NOT NULL again
    `UPDATE ${ctx.t('phoenix_kit_settings')} SET value = COALESCE(value_json::text, '') WHERE value IS NULL`,
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_settings')} ALTER COLUMN value SET NOT NULL`,
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_settings')} DROP COLUMN IF EXISTS value_json`,
  ],
);
