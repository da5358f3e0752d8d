import { addConstraint, defineVersion, uuidDefaultBeforeV19 as uuidDefault } from './helpers.js';

/** Roles and the user ↔ role assignments; seeds the system roles Owner, Admin and User. */
export default defineVersion(
  2,
  'roles',
  (ctx) => [
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_user_roles')} (
      uuid uuid NOT NULL DEFAULT ${uuidDefault},
      name varchar(50) NOT NULL,
      description text,
      is_system_role boolean NOT NULL DEFAULT false,
      inserted_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_user_roles', 'phoenix_kit_user_roles_pkey', 'PRIMARY KEY (uuid)'),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_user_roles_name_index ON ${ctx.t('phoenix_kit_user_roles')} (name)`,

    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_user_role_assignments')} (
      uuid uuid NOT NULL DEFAULT ${uuidDefault},
      user_uuid uuid NOT NULL,
      role_uuid uuid NOT NULL,
      inserted_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_user_role_assignments', 'phoenix_kit_user_role_assignments_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_user_role_assignments',
      'phoenix_kit_user_role_assignments_user_uuid_fkey',
      `FOREIGN KEY (user_uuid) REFERENCES ${ctx.t('phoenix_kit_users')} (uuid) ON DELETE CASCADE`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_user_role_assignments',
      'phoenix_kit_user_role_assignments_role_uuid_fkey',
      `FOREIGN KEY (role_uuid) REFERENCES ${ctx.t('phoenix_kit_user_roles')} (uuid) ON DELETE CASCADE`,
    ),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_role_assignments_user_uuid_role_uuid_idx
       ON ${ctx.t('phoenix_kit_user_role_assignments')} (user_uuid, role_uuid)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_user_role_assignments_role_uuid_index
       ON ${ctx.t('phoenix_kit_user_role_assignments')} (role_uuid)`,

    `INSERT INTO ${ctx.t('phoenix_kit_user_roles')} (name, description, is_system_role) VALUES
       ('Owner', 'System owner with full access', true),
       ('Admin', 'Administrator with elevated privileges', true),
       ('User', 'Standard user with basic access', true)
     ON CONFLICT (name) DO NOTHING`,
  ],
  (ctx) => [
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_user_role_assignments')}`,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_user_roles')}`,
  ],
);
