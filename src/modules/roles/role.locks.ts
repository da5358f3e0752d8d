import { Prisma } from '../../generated/prisma/client.js';
import { OWNER_GUARD_LOCK } from '../auth/domain/viewer.js';
import { OWNER_ROLE } from './domain/role-rules.js';
import { roleNameKey } from './domain/role-input.js';

// Lock order, always: owner guard → one user's roles → role row → role name. No path takes them the other way round,
// so concurrent admin actions serialise without deadlocking.

type Tx = Prisma.TransactionClient;

/** Interactive transactions here wait on locks held by their peers; give them room under contention. */
export const ADMIN_TX_OPTIONS = { maxWait: 10_000, timeout: 20_000 } as const;

/** Serialises everything that can change the number of active Owners (registration takes the same key). */
export async function lockOwnerGuard(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${OWNER_GUARD_LOCK}))`;
}

/** Serialises role changes of one user, so read-then-write on their assignment rows cannot interleave. */
export async function lockUserRoles(tx: Tx, userUuid: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`pk_user_roles:${userUuid}`}))`;
}

/** Serialises creating and renaming roles to the same case-insensitive name. */
export async function lockRoleName(tx: Tx, name: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`pk_role_name:${roleNameKey(name)}`}))`;
}

/** Active Owners (active account, active assignment) other than `userUuid`. Call under the owner guard. */
export function countOtherActiveOwners(tx: Tx, userUuid: string): Promise<number> {
  return tx.roleAssignment.count({
    where: { role: { name: OWNER_ROLE }, isActive: true, user: { isActive: true }, userUuid: { not: userUuid } },
  });
}

export type LockedRole = { uuid: string; name: string; description: string | null; isSystemRole: boolean };
export type RoleSelector = { roleUuid?: string | null; roleName?: string | null };

/**
 * How a role row is locked while read: `share` keeps it from being deleted (assignments), `edit` serialises edits of
 * the same role without blocking assignments, `delete` excludes both.
 */
export type RoleLock = 'share' | 'edit' | 'delete';

const LOCK_CLAUSE: Record<RoleLock, Prisma.Sql> = {
  share: Prisma.sql`FOR KEY SHARE`,
  edit: Prisma.sql`FOR NO KEY UPDATE`,
  delete: Prisma.sql`FOR UPDATE`,
};

/** Reads and locks the role a selector names (by uuid, or by exact name), or null. */
export async function lockRole(tx: Tx, selector: RoleSelector, lock: RoleLock): Promise<LockedRole | null> {
  const where = selector.roleUuid ? Prisma.sql`uuid = ${selector.roleUuid}::uuid` : Prisma.sql`name = ${selector.roleName ?? ''}`;
  const rows = await tx.$queryRaw<LockedRole[]>`
    SELECT uuid::text AS uuid, name, description, is_system_role AS "isSystemRole"
      FROM phoenix_kit_user_roles WHERE ${where} ${LOCK_CLAUSE[lock]}`;
  return rows[0] ?? null;
}
