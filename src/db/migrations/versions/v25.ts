import { defineVersion } from './helpers.js';

/** storage_dimensions.maintain_aspect_ratio (resize by width only when true). */
export default defineVersion(
  25,
  'dimension aspect ratio',
  (ctx) => [
    `ALTER TABLE ${ctx.t('phoenix_kit_storage_dimensions')}
       ADD COLUMN IF NOT EXISTS maintain_aspect_ratio boolean NOT NULL DEFAULT true`,
  ],
  (ctx) => [`ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_storage_dimensions')} DROP COLUMN IF EXISTS maintain_aspect_ratio`],
);
