import type { Db } from '../../db/database.js';
import { Prisma, type Role, type RoleAssignment } from '../../generated/prisma/client.js';
import type { ClientInfo, Viewer } from '../../graphql/context.js';
import { NotFoundError, ValidationError, type FieldIssue } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import { isStorableText } from '../../util/text.js';
import type { AuditService } from '../audit/audit.service.js';
import { diffPermissions, normalizePermissionKeys } from './domain/permissions.js';
import {
  normalizeRoleDescription,
  normalizeRoleName,
  validateRoleDescription,
  validateRoleName,
} from './domain/role-input.js';
import {
  OWNER_ROLE,
  assignmentRefusal,
  deletionRefusal,
  isOwnerOnly,
  permissionEditRefusal,
  removalRefusal,
  updateRefusal,
  type RoleAction,
} from './domain/role-rules.js';
import {
  LastOwnerError,
  OwnerRoleProtectedError,
  RoleInUseError,
  SystemRoleProtectedError,
  forbiddenError,
} from './role.errors.js';
import {
  ADMIN_TX_OPTIONS,
  countOtherActiveOwners,
  lockOwnerGuard,
  lockRole,
  lockRoleName,
  lockUserRoles,
  type LockedRole,
  type RoleLock,
  type RoleSelector,
} from './role.locks.js';

export type { RoleSelector } from './role.locks.js';

type Tx = Prisma.TransactionClient;

/** Who acts and from where: every admin action is authorised against the actor and audited with the client. */
export type AdminAction = { actor: Pick<Viewer, 'uuid' | 'isOwner'>; client: ClientInfo };

export type CreateRoleInput = { name: string; description?: string | null };
/** `undefined` leaves a field as it is; `description: null` clears it. */
export type UpdateRoleInput = { roleUuid: string; name?: string | null; description?: string | null; isSystemRole?: boolean | null };
export type AssignmentInput = RoleSelector & { userUuid: string };

export type RoleServiceDeps = { db: Db; audit: AuditService; log: Logger };

const NAME_TAKEN: FieldIssue = { path: 'name', message: 'has already been taken' };

/** One of `roleUuid` / `roleName`, the name normalised as stored; issues when neither or both are given. */
function parseSelector(selector: RoleSelector): { selector: RoleSelector; issues: FieldIssue[] } {
  const hasUuid = selector.roleUuid != null;
  const hasName = selector.roleName != null;
  if (hasUuid === hasName) {
    return { selector, issues: [{ path: 'roleUuid', message: 'give exactly one of roleUuid and roleName' }] };
  }
  if (hasName && !isStorableText(selector.roleName!)) {
    return { selector, issues: [{ path: 'roleName', message: 'contains characters that cannot be stored (NUL or an unpaired surrogate)' }] };
  }
  const named = hasUuid ? { roleUuid: selector.roleUuid } : { roleName: normalizeRoleName(selector.roleName ?? '') };
  return { selector: named, issues: [] };
}

function requireSelector(selector: RoleSelector): RoleSelector {
  const parsed = parseSelector(selector);
  if (parsed.issues.length > 0) throw new ValidationError('Name the role by roleUuid or roleName', parsed.issues);
  return parsed.selector;
}

/** The scope check ran before the transaction; this repeats it on the locked row. */
function assertAllowed(actor: AdminAction['actor'], action: RoleAction, roleName: string, opts?: { makesSystemRole?: boolean }) {
  if (isOwnerOnly(action, roleName, opts) && !actor.isOwner) throw forbiddenError();
}

const isUniqueViolation = (error: unknown) =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';

export function createRoleService({ db, audit, log }: RoleServiceDeps) {
  async function lockExistingRole(tx: Tx, selector: RoleSelector, lock: RoleLock): Promise<LockedRole> {
    const role = await lockRole(tx, selector, lock);
    if (!role) throw new NotFoundError('Role');
    return role;
  }

  /** Names compare case-insensitively: "owner" is taken while "Owner" exists. Call under `lockRoleName`. */
  async function assertNameFree(tx: Tx, name: string, exceptUuid: string | null): Promise<void> {
    const rows = await tx.$queryRaw<Array<{ uuid: string }>>`
      SELECT uuid::text AS uuid FROM phoenix_kit_user_roles WHERE lower(name) = lower(${name})`;
    if (rows.some((r) => r.uuid !== exceptUuid)) throw new ValidationError('Role input is invalid', [NAME_TAKEN]);
  }

  async function assertUserExists(tx: Tx, userUuid: string): Promise<void> {
    if (!(await tx.user.findUnique({ where: { uuid: userUuid }, select: { uuid: true } }))) throw new NotFoundError('User');
  }

  /** Runs a transaction that may rename/create; a unique violation that slipped past the name check is "taken". */
  async function withNameCheck<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      return await db.$transaction(fn, ADMIN_TX_OPTIONS);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ValidationError('Role input is invalid', [NAME_TAKEN]);
      throw error;
    }
  }

  return {
    /** The role a selector names, unlocked (for authorization decisions before the transaction); null when none. */
    async findRole(selector: RoleSelector): Promise<Role | null> {
      const parsed = parseSelector(selector);
      if (parsed.issues.length > 0) return null;
      const { roleUuid, roleName } = parsed.selector;
      return roleUuid ? db.role.findUnique({ where: { uuid: roleUuid } }) : db.role.findUnique({ where: { name: roleName ?? '' } });
    },

    async createRole(input: CreateRoleInput, { actor, client }: AdminAction): Promise<Role> {
      const name = normalizeRoleName(input.name);
      const description = normalizeRoleDescription(input.description ?? null);
      const issues = [...validateRoleName(name), ...validateRoleDescription(description)];
      if (issues.length > 0) throw new ValidationError('Role input is invalid', issues);
      const role = await withNameCheck(async (tx) => {
        await lockRoleName(tx, name);
        await assertNameFree(tx, name, null);
        return tx.role.create({ data: { name, description } });
      });
      log.info({ roleUuid: role.uuid, actorUuid: actor.uuid }, 'role created');
      await audit.record({
        action: 'role_created',
        actorUuid: actor.uuid,
        targetUserUuid: actor.uuid,
        client,
        metadata: { roleUuid: role.uuid, roleName: role.name, description: role.description },
      });
      return role;
    },

    async updateRole(input: UpdateRoleInput, { actor, client }: AdminAction): Promise<Role> {
      const name = input.name == null ? undefined : normalizeRoleName(input.name);
      const description = input.description === undefined ? undefined : normalizeRoleDescription(input.description);
      const isSystemRole = input.isSystemRole ?? undefined;
      const issues = [
        ...(name === undefined ? [] : validateRoleName(name)),
        ...(description === undefined ? [] : validateRoleDescription(description)),
      ];
      if (issues.length > 0) throw new ValidationError('Role input is invalid', issues);

      const { before, after } = await withNameCheck(async (tx) => {
        const role = await lockExistingRole(tx, { roleUuid: input.roleUuid }, 'edit');
        assertAllowed(actor, 'update', role.name, { makesSystemRole: isSystemRole === true && !role.isSystemRole });
        if (updateRefusal(role, { name, isSystemRole })) throw new SystemRoleProtectedError();
        const data: Prisma.RoleUpdateInput = {};
        if (name !== undefined && name !== role.name) {
          await lockRoleName(tx, name);
          await assertNameFree(tx, name, role.uuid);
          data.name = name;
        }
        if (description !== undefined && description !== role.description) data.description = description;
        if (isSystemRole !== undefined && isSystemRole !== role.isSystemRole) data.isSystemRole = isSystemRole;
        const updated = Object.keys(data).length > 0 ? await tx.role.update({ where: { uuid: role.uuid }, data }) : null;
        return { before: role, after: updated ?? (await tx.role.findUniqueOrThrow({ where: { uuid: role.uuid } })) };
      });
      const changes = Object.fromEntries(
        (['name', 'description', 'isSystemRole'] as const)
          .filter((field) => before[field] !== after[field])
          .map((field) => [field, { from: before[field], to: after[field] }]),
      );
      await audit.record({
        action: 'role_updated',
        actorUuid: actor.uuid,
        targetUserUuid: actor.uuid,
        client,
        metadata: { roleUuid: after.uuid, roleName: after.name, changed: Object.keys(changes).length > 0, changes },
      });
      return after;
    },

    /** Deletes a custom role nobody holds; its permission rows and inactive assignment history go with it. */
    async deleteRole(selector: RoleSelector, { actor, client }: AdminAction): Promise<LockedRole> {
      const target = requireSelector(selector);
      const { role, permissions } = await db.$transaction(async (tx) => {
        const role = await lockExistingRole(tx, target, 'delete');
        assertAllowed(actor, 'delete', role.name);
        const active = await tx.roleAssignment.count({ where: { roleUuid: role.uuid, isActive: true } });
        const refusal = deletionRefusal(role, active);
        if (refusal === 'system_role_protected') throw new SystemRoleProtectedError();
        if (refusal === 'role_in_use') throw new RoleInUseError(active);
        const permissions = await tx.rolePermission.findMany({ where: { roleUuid: role.uuid }, orderBy: { moduleKey: 'asc' } });
        await tx.role.delete({ where: { uuid: role.uuid } });
        return { role, permissions: permissions.map((p) => p.moduleKey) };
      }, ADMIN_TX_OPTIONS);
      log.info({ roleUuid: role.uuid, actorUuid: actor.uuid }, 'role deleted');
      await audit.record({
        action: 'role_deleted',
        actorUuid: actor.uuid,
        targetUserUuid: actor.uuid,
        client,
        metadata: { roleUuid: role.uuid, roleName: role.name, permissions },
      });
      return role;
    },

    /** Replaces a role's allow-list with `keys` (normalised: bases of sub-keys added, `*` alone). */
    async setRolePermissions(
      selector: RoleSelector,
      keys: readonly string[],
      { actor, client }: AdminAction,
    ): Promise<LockedRole> {
      const target = requireSelector(selector);
      const normalized = normalizePermissionKeys(keys);
      if (!normalized.ok) throw new ValidationError('Permission keys are invalid', normalized.issues);
      const { role, added, removed } = await db.$transaction(async (tx) => {
        const role = await lockExistingRole(tx, target, 'edit');
        if (permissionEditRefusal(role.name)) {
          throw new OwnerRoleProtectedError('The Owner role holds every permission; it cannot be edited');
        }
        assertAllowed(actor, 'edit_permissions', role.name);
        const current = await tx.rolePermission.findMany({ where: { roleUuid: role.uuid }, select: { moduleKey: true } });
        const diff = diffPermissions(current.map((p) => p.moduleKey).sort(), normalized.keys);
        if (diff.removed.length > 0) {
          await tx.rolePermission.deleteMany({ where: { roleUuid: role.uuid, moduleKey: { in: diff.removed } } });
        }
        if (diff.added.length > 0) {
          await tx.rolePermission.createMany({
            data: diff.added.map((moduleKey) => ({ roleUuid: role.uuid, moduleKey, grantedByUuid: actor.uuid })),
          });
        }
        return { role, ...diff };
      }, ADMIN_TX_OPTIONS);
      await audit.record({
        action: 'role_permissions_changed',
        actorUuid: actor.uuid,
        targetUserUuid: actor.uuid,
        client,
        metadata: {
          roleUuid: role.uuid,
          roleName: role.name,
          changed: added.length + removed.length > 0,
          added,
          removed,
          permissions: normalized.keys,
        },
      });
      return role;
    },

    /**
     * Gives a user a role: a new active row, or the inactive row switched back on (assigned_by/assigned_at renewed).
     * Assigning a role the user already holds changes nothing.
     */
    async assignRole(input: AssignmentInput, { actor, client }: AdminAction): Promise<RoleAssignment> {
      const target = requireSelector(input);
      const { assignment, role, changed } = await db.$transaction(async (tx) => {
        await lockUserRoles(tx, input.userUuid);
        const role = await lockExistingRole(tx, target, 'share');
        if (assignmentRefusal(role.name)) throw new OwnerRoleProtectedError();
        assertAllowed(actor, 'assign', role.name);
        await assertUserExists(tx, input.userUuid);
        const key = { userUuid_roleUuid: { userUuid: input.userUuid, roleUuid: role.uuid } };
        const existing = await tx.roleAssignment.findUnique({ where: key });
        if (existing?.isActive) return { assignment: existing, role, changed: false };
        const grant = { assignedByUuid: actor.uuid, assignedAt: new Date(), isActive: true };
        const assignment = existing
          ? await tx.roleAssignment.update({ where: key, data: grant })
          : await tx.roleAssignment.create({ data: { userUuid: input.userUuid, roleUuid: role.uuid, ...grant } });
        return { assignment, role, changed: true };
      }, ADMIN_TX_OPTIONS);
      await audit.record({
        action: 'role_assigned',
        actorUuid: actor.uuid,
        targetUserUuid: input.userUuid,
        client,
        metadata: { roleUuid: role.uuid, roleName: role.name, changed },
      });
      return assignment;
    },

    /**
     * Takes a role away by switching its assignment row off (the row keeps who granted it and when; the audit log
     * says who removed it). Every removal runs under the owner guard lock (removals are rare), so the recount of
     * other active Owners cannot race another removal, a deactivation or a first registration.
     */
    async removeRole(input: AssignmentInput, { actor, client }: AdminAction): Promise<RoleAssignment> {
      const target = requireSelector(input);
      const { assignment, role, changed } = await db.$transaction(async (tx) => {
        await lockOwnerGuard(tx);
        await lockUserRoles(tx, input.userUuid);
        const role = await lockExistingRole(tx, target, 'share');
        assertAllowed(actor, 'remove', role.name);
        await assertUserExists(tx, input.userUuid);
        const key = { userUuid_roleUuid: { userUuid: input.userUuid, roleUuid: role.uuid } };
        const existing = await tx.roleAssignment.findUnique({ where: key });
        if (!existing) throw new NotFoundError('Role assignment');
        if (!existing.isActive) return { assignment: existing, role, changed: false };
        const otherOwners = role.name === OWNER_ROLE ? await countOtherActiveOwners(tx, input.userUuid) : null;
        if (otherOwners !== null && removalRefusal(role.name, otherOwners)) {
          throw new LastOwnerError('The last active Owner cannot lose the Owner role');
        }
        const assignment = await tx.roleAssignment.update({ where: key, data: { isActive: false } });
        return { assignment, role, changed: true };
      }, ADMIN_TX_OPTIONS);
      await audit.record({
        action: 'role_removed',
        actorUuid: actor.uuid,
        targetUserUuid: input.userUuid,
        client,
        metadata: { roleUuid: role.uuid, roleName: role.name, changed },
      });
      return assignment;
    },
  };
}

export type RoleService = ReturnType<typeof createRoleService>;
