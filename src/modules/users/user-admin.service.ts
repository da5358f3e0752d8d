import type { Db } from '../../db/database.js';
import type { User } from '../../generated/prisma/client.js';
import { NotFoundError } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import type { AuditService } from '../audit/audit.service.js';
import { activationRefusal, deactivationRefusal, isPrivilegedRole } from '../roles/domain/role-rules.js';
import { LastOwnerError, forbiddenError } from '../roles/role.errors.js';
import { ADMIN_TX_OPTIONS, countOtherActiveOwners, lockOwnerGuard } from '../roles/role.locks.js';
import type { AdminAction } from '../roles/role.service.js';
import { CannotDeactivateSelfError } from './user-admin.errors.js';

export type UserAdminServiceDeps = { db: Db; audit: AuditService; log: Logger };

export function createUserAdminService({ db, audit, log }: UserAdminServiceDeps) {
  return {
    /** Whether the user holds Owner or Admin (then only an Owner may change their status); false for unknown users. */
    async isPrivileged(userUuid: string): Promise<boolean> {
      const held = await db.roleAssignment.findMany({
        where: { userUuid, isActive: true },
        select: { role: { select: { name: true } } },
      });
      return held.some((a) => isPrivilegedRole(a.role.name));
    },

    /** Switches an account back on; its owner signs in again with their password. */
    async activateUser(userUuid: string, { actor, client }: AdminAction): Promise<User> {
      const { user, changed } = await db.$transaction(async (tx) => {
        const target = await tx.user.findUnique({
          where: { uuid: userUuid },
          include: { roleAssignments: { where: { isActive: true }, include: { role: true } } },
        });
        if (!target) throw new NotFoundError('User');
        const roles = target.roleAssignments.map((a) => a.role.name);
        if (activationRefusal(actor, { uuid: target.uuid, roles })) throw forbiddenError();
        if (target.isActive) return { user: target, changed: false };
        return { user: await tx.user.update({ where: { uuid: userUuid }, data: { isActive: true } }), changed: true };
      }, ADMIN_TX_OPTIONS);
      await audit.record({ action: 'user_activated', actorUuid: actor.uuid, targetUserUuid: userUuid, client, metadata: { changed } });
      return user;
    },

    /**
     * Switches an account off and deletes its sessions, so it is signed out at once. Runs under the owner guard lock
     * and recounts the other active Owners there, so concurrent requests can never leave no active Owner.
     */
    async deactivateUser(userUuid: string, { actor, client }: AdminAction): Promise<User> {
      const { user, roles, changed, sessionsRevoked } = await db.$transaction(async (tx) => {
        await lockOwnerGuard(tx);
        const target = await tx.user.findUnique({
          where: { uuid: userUuid },
          include: { roleAssignments: { where: { isActive: true }, include: { role: true } } },
        });
        if (!target) throw new NotFoundError('User');
        const roles = target.roleAssignments.map((a) => a.role.name);
        const otherOwners = await countOtherActiveOwners(tx, userUuid);
        const refusal = deactivationRefusal(actor, { uuid: target.uuid, roles }, otherOwners);
        if (refusal === 'owner_required') throw forbiddenError();
        if (refusal === 'last_owner') throw new LastOwnerError('The last active Owner cannot be deactivated');
        if (refusal === 'cannot_deactivate_self') throw new CannotDeactivateSelfError();
        const user = target.isActive ? await tx.user.update({ where: { uuid: userUuid }, data: { isActive: false } }) : target;
        const { count } = await tx.userToken.deleteMany({ where: { userUuid, context: 'session' } });
        return { user, roles, changed: target.isActive, sessionsRevoked: count };
      }, ADMIN_TX_OPTIONS);
      log.info({ userUuid, actorUuid: actor.uuid, sessionsRevoked }, 'user deactivated');
      await audit.record({
        action: 'user_deactivated',
        actorUuid: actor.uuid,
        targetUserUuid: userUuid,
        client,
        metadata: { changed, sessionsRevoked, roles },
      });
      return user;
    },
  };
}

export type UserAdminService = ReturnType<typeof createUserAdminService>;
