import { defineVersion } from './helpers.js';

/** email_logs.body_compressed: whether body_full is stored compressed. */
export default defineVersion(
  14,
  'email body compression',
  (ctx) => [
    `ALTER TABLE ${ctx.t('phoenix_kit_email_logs')} ADD COLUMN IF NOT EXISTS body_compressed boolean NOT NULL DEFAULT false`,
  ],
  (ctx) => [`ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_email_logs')} DROP COLUMN IF EXISTS body_compressed`],
);
