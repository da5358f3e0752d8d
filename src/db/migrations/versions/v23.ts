import { defineVersion } from './helpers.js';

/** Session fingerprint columns on tokens (client ip, SHA-256 of the user agent) and their indexes. */
export default defineVersion(
  23,
  'token fingerprints',
  (ctx) => [
    `ALTER TABLE ${ctx.t('phoenix_kit_users_tokens')}
       ADD COLUMN IF NOT EXISTS ip_address varchar(255),
       ADD COLUMN IF NOT EXISTS user_agent_hash varchar(255)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_users_tokens_ip_address_index ON ${ctx.t('phoenix_kit_users_tokens')} (ip_address)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_users_tokens_user_agent_hash_index
       ON ${ctx.t('phoenix_kit_users_tokens')} (user_agent_hash)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_users_tokens_fingerprint_index
       ON ${ctx.t('phoenix_kit_users_tokens')} (token, ip_address, user_agent_hash)`,
  ],
  (ctx) => [
    `DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_users_tokens_fingerprint_index`,
    `DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_users_tokens_user_agent_hash_index`,
    `DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_users_tokens_ip_address_index`,
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_users_tokens')} DROP COLUMN IF EXISTS user_agent_hash, DROP COLUMN IF EXISTS ip_address`,
  ],
);
