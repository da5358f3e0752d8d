import { addConstraint, defineVersion, dropConstraint, uuidDefaultBeforeV19 as uuidDefault } from './helpers.js';

/** OAuth provider links per user; magic-link registration tokens that have no user yet. */
export default defineVersion(
  16,
  'oauth and magic link registration',
  (ctx) => [
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_user_oauth_providers')} (
      uuid uuid NOT NULL DEFAULT ${uuidDefault},
      user_uuid uuid NOT NULL,
      provider varchar(255) NOT NULL,
      provider_uid varchar(255) NOT NULL,
      provider_email varchar(255),
      access_token text,
      refresh_token text,
      token_expires_at timestamptz,
      raw_data jsonb DEFAULT '{}',
      inserted_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_user_oauth_providers', 'phoenix_kit_user_oauth_providers_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_user_oauth_providers',
      'phoenix_kit_user_oauth_providers_user_uuid_fkey',
      `FOREIGN KEY (user_uuid) REFERENCES ${ctx.t('phoenix_kit_users')} (uuid) ON DELETE CASCADE`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_user_oauth_providers',
      'phoenix_kit_user_oauth_providers_provider_check',
      `CHECK (provider IN ('google', 'apple', 'github', 'facebook', 'twitter', 'microsoft'))`,
    ),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_oauth_providers_provider_uid_idx
       ON ${ctx.t('phoenix_kit_user_oauth_providers')} (provider, provider_uid)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_oauth_providers_user_uuid_provider_idx
       ON ${ctx.t('phoenix_kit_user_oauth_providers')} (user_uuid, provider)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_user_oauth_providers_provider_index
       ON ${ctx.t('phoenix_kit_user_oauth_providers')} (provider)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_user_oauth_providers_provider_email_index
       ON ${ctx.t('phoenix_kit_user_oauth_providers')} (provider_email)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_user_oauth_providers_user_uuid_index
       ON ${ctx.t('phoenix_kit_user_oauth_providers')} (user_uuid)`,

    `ALTER TABLE ${ctx.t('phoenix_kit_users_tokens')} ALTER COLUMN user_uuid DROP NOT NULL`,
    addConstraint(
      ctx,
      'phoenix_kit_users_tokens',
      'user_uuid_required_for_non_registration_tokens',
      `CHECK (CASE WHEN context = 'magic_link_registration' THEN true ELSE user_uuid IS NOT NULL END)`,
    ),
  ],
  (ctx) => [
    // user-less registration tokens cannot exist under NOT NULL; they are short-lived anyway
    `DELETE FROM ${ctx.t('phoenix_kit_users_tokens')} WHERE user_uuid IS NULL`,
    dropConstraint(ctx, 'phoenix_kit_users_tokens', 'user_uuid_required_for_non_registration_tokens'),
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_users_tokens')} ALTER COLUMN user_uuid SET NOT NULL`,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_user_oauth_providers')}`,
  ],
);
