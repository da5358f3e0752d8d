import { addConstraint, defineVersion, uuidV7Default } from './helpers.js';

/** Rate-limit counters (fixed windows) shared by every server process on the same database. */
export default defineVersion(
  30,
  'rate limits',
  (ctx) => [
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_rate_limits')} (
      uuid uuid NOT NULL DEFAULT ${uuidV7Default(ctx)},
      key varchar(255) NOT NULL,
      window_start timestamptz NOT NULL DEFAULT now(),
      count integer NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_rate_limits', 'phoenix_kit_rate_limits_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(ctx, 'phoenix_kit_rate_limits', 'phoenix_kit_rate_limits_count_check', 'CHECK (count >= 0)'),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_rate_limits_key_index ON ${ctx.t('phoenix_kit_rate_limits')} (key)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_rate_limits_window_start_index ON ${ctx.t('phoenix_kit_rate_limits')} (window_start)`,
  ],
  (ctx) => [`DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_rate_limits')}`],
);
