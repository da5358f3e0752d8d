import { addConstraint, defineVersion } from './helpers.js';

/** Role assignments audit: who assigned a role, when, and whether the assignment is active. */
export default defineVersion(
  4,
  'role assignments audit',
  (ctx) => [
    `ALTER TABLE ${ctx.t('phoenix_kit_user_role_assignments')}
       ADD COLUMN IF NOT EXISTS assigned_by_uuid uuid,
       ADD COLUMN IF NOT EXISTS assigned_at timestamptz NOT NULL DEFAULT now(),
       ADD COLUMN IF NOT EXISTS is_active boolean NOT NULL DEFAULT true`,
    addConstraint(
      ctx,
      'phoenix_kit_user_role_assignments',
      'phoenix_kit_user_role_assignments_assigned_by_uuid_fkey',
      `FOREIGN KEY (assigned_by_uuid) REFERENCES ${ctx.t('phoenix_kit_users')} (uuid) ON DELETE SET NULL`,
    ),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_user_role_assignments_active_user_uuid_index
       ON ${ctx.t('phoenix_kit_user_role_assignments')} (user_uuid) WHERE is_active`,
  ],
  (ctx) => [
    // before V04 every row is a role held: a removed role (is_active false) must not come back as held
    `DO $$ BEGIN
  IF EXISTS (
    SELECT 1 FROM information_schema.columns
     WHERE table_schema = '${ctx.prefix}' AND table_name = 'phoenix_kit_user_role_assignments' AND column_name = 'is_active'
  ) THEN
    DELETE FROM ${ctx.t('phoenix_kit_user_role_assignments')} WHERE NOT is_active;
  END IF;
END $$`,
    // the fkey and the partial index go with their columns
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_user_role_assignments')}
       DROP COLUMN IF EXISTS is_active,
       DROP COLUMN IF EXISTS assigned_at,
       DROP COLUMN IF EXISTS assigned_by_uuid`,
  ],
);
