import { addConstraint, defineVersion, uuidDefaultBeforeV19 as uuidDefault } from './helpers.js';

// reference §4.1 keys for Admin; Owner holds every key in code, so it gets no rows
const ADMIN_KEYS = [
  'ai', 'billing', 'connections', 'dashboard', 'db', 'emails', 'entities', 'jobs', 'languages', 'legal', 'maintenance',
  'media', 'modules', 'posts', 'publishing', 'referrals', 'seo', 'settings', 'shop', 'sitemap', 'storage', 'sync', 'users',
  'comments', 'customer_support',
];

/** Permission keys granted per role (allow-list, `*` = everything); Admin gets the standard module keys. */
export default defineVersion(
  6,
  'role permissions',
  (ctx) => [
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_role_permissions')} (
      uuid uuid NOT NULL DEFAULT ${uuidDefault},
      role_uuid uuid NOT NULL,
      module_key varchar(120) NOT NULL,
      granted_by_uuid uuid,
      inserted_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_role_permissions', 'phoenix_kit_role_permissions_pkey', 'PRIMARY KEY (uuid)'),
    addConstraint(
      ctx,
      'phoenix_kit_role_permissions',
      'phoenix_kit_role_permissions_role_uuid_fkey',
      `FOREIGN KEY (role_uuid) REFERENCES ${ctx.t('phoenix_kit_user_roles')} (uuid) ON DELETE CASCADE`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_role_permissions',
      'phoenix_kit_role_permissions_granted_by_uuid_fkey',
      `FOREIGN KEY (granted_by_uuid) REFERENCES ${ctx.t('phoenix_kit_users')} (uuid) ON DELETE SET NULL`,
    ),
    addConstraint(
      ctx,
      'phoenix_kit_role_permissions',
      'phoenix_kit_role_permissions_module_key_check',
      String.raw`CHECK (module_key = '*' OR module_key ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$')`,
    ),
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_role_permissions_role_uuid_module_key_idx
       ON ${ctx.t('phoenix_kit_role_permissions')} (role_uuid, module_key)`,

    `INSERT INTO ${ctx.t('phoenix_kit_role_permissions')} (role_uuid, module_key)
     SELECT r.uuid, k.key FROM ${ctx.t('phoenix_kit_user_roles')} r
       CROSS JOIN unnest(ARRAY[${ADMIN_KEYS.map((k) => `'${k}'`).join(', ')}]) AS k(key)
      WHERE r.name = 'Admin'
     ON CONFLICT (role_uuid, module_key) DO NOTHING`,
  ],
  (ctx) => [`DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_role_permissions')}`],
);
