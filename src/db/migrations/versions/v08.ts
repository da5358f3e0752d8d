import { defineVersion } from './helpers.js';

/** users.username (citext, unique when set), generated from the email for users that already exist. */
export default defineVersion(
  8,
  'usernames',
  (ctx) => [
    `ALTER TABLE ${ctx.t('phoenix_kit_users')} ADD COLUMN IF NOT EXISTS username public.citext`,
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_users_username_uidx
       ON ${ctx.t('phoenix_kit_users')} (username) WHERE username IS NOT NULL`,
    // same derivation as the app (reference §3.2) minus transliteration: john.doe@x → john_doe, taken → john_doe_1
    `DO $$
DECLARE
  u record;
  base text;
  candidate public.citext;
  n integer;
BEGIN
  FOR u IN SELECT uuid, email FROM ${ctx.t('phoenix_kit_users')} WHERE username IS NULL ORDER BY inserted_at, uuid LOOP
    base := left(regexp_replace(replace(lower(split_part(u.email::text, '@', 1)), '.', '_'), '[^a-z0-9_]', '', 'g'), 30);
    IF base !~ '^[a-z]' THEN
      base := 'user_' || left(base, 25);
    END IF;
    IF length(base) < 3 THEN
      base := base || '_1';
    END IF;
    candidate := base;
    n := 0;
    WHILE EXISTS (SELECT 1 FROM ${ctx.t('phoenix_kit_users')} WHERE username = candidate) LOOP
      n := n + 1;
      candidate := base || '_' || n;
    END LOOP;
    UPDATE ${ctx.t('phoenix_kit_users')} SET username = candidate WHERE uuid = u.uuid;
  END LOOP;
END $$`,
  ],
  (ctx) => [`ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_users')} DROP COLUMN IF EXISTS username`],
);
