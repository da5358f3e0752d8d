import { addConstraint, defineVersion } from './helpers.js';

/** Where a user registered from: IP, ISO country code, region, city, with per-column date indexes. */
export default defineVersion(
  10,
  'registration geo',
  (ctx) => [
    `ALTER TABLE ${ctx.t('phoenix_kit_users')}
       ADD COLUMN IF NOT EXISTS registration_ip varchar(45),
       ADD COLUMN IF NOT EXISTS registration_country varchar(2),
       ADD COLUMN IF NOT EXISTS registration_region varchar(100),
       ADD COLUMN IF NOT EXISTS registration_city varchar(100)`,
    addConstraint(
      ctx,
      'phoenix_kit_users',
      'phoenix_kit_users_registration_country_check',
      `CHECK (registration_country IS NULL OR registration_country ~ '^[A-Z]{2}$')`,
    ),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_users_reg_ip_date_idx ON ${ctx.t('phoenix_kit_users')} (registration_ip, inserted_at)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_users_reg_country_date_idx
       ON ${ctx.t('phoenix_kit_users')} (registration_country, inserted_at)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_users_reg_region_date_idx
       ON ${ctx.t('phoenix_kit_users')} (registration_region, inserted_at)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_users_reg_city_date_idx ON ${ctx.t('phoenix_kit_users')} (registration_city, inserted_at)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_users_reg_geo_idx
       ON ${ctx.t('phoenix_kit_users')} (registration_country, registration_region, registration_city)`,
  ],
  (ctx) => [
    // the check and the indexes go with their columns
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_users')}
       DROP COLUMN IF EXISTS registration_city,
       DROP COLUMN IF EXISTS registration_region,
       DROP COLUMN IF EXISTS registration_country,
       DROP COLUMN IF EXISTS registration_ip`,
  ],
);
