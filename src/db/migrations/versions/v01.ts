import { addConstraint, defineVersion, ensureExtension, uuidDefaultBeforeV19 as uuidDefault } from './helpers.js';

/** Extensions, the meta table that carries the installed version, users and their tokens. */
export default defineVersion(
  1,
  'users and tokens',
  (ctx) => [
    ensureExtension('citext'),
    ensureExtension('pgcrypto'),
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit')} (
      id serial NOT NULL,
      version integer NOT NULL,
      migrated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit', 'phoenix_kit_pkey', 'PRIMARY KEY (id)'),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_version_index ON ${ctx.t('phoenix_kit')} (version)`,

    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_users')} (
      uuid uuid NOT NULL DEFAULT ${uuidDefault},
      email public.citext NOT NULL,
      hashed_password varchar(255) NOT NULL,
      first_name varchar(100),
      last_name varchar(100),
      is_active boolean NOT NULL DEFAULT true,
      confirmed_at timestamptz,
      inserted_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_users', 'phoenix_kit_users_pkey', 'PRIMARY KEY (uuid)'),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_users_email_index ON ${ctx.t('phoenix_kit_users')} (email)`,
    `CREATE INDEX IF NOT EXISTS idx_users_active ON ${ctx.t('phoenix_kit_users')} (is_active)`,

    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_users_tokens')} (
      uuid uuid NOT NULL DEFAULT ${uuidDefault},
      user_uuid uuid NOT NULL,
      token bytea NOT NULL,
      context varchar(255) NOT NULL,
      sent_to varchar(255),
      inserted_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_users_tokens', 'phoenix_kit_users_tokens_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_users_tokens',
      'fk_users_tokens_user_uuid',
      `FOREIGN KEY (user_uuid) REFERENCES ${ctx.t('phoenix_kit_users')} (uuid) ON DELETE CASCADE`,
    ),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_users_tokens_context_token_index
       ON ${ctx.t('phoenix_kit_users_tokens')} (context, token)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_users_tokens_user_uuid_index ON ${ctx.t('phoenix_kit_users_tokens')} (user_uuid)`,
  ],
  (ctx) => [
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_users_tokens')}`,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_users')}`,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit')}`,
  ],
);
