import type { Db } from '../../db/database.js';
import type { ClientInfo } from '../../graphql/context.js';
import type { Logger } from '../../logger.js';

/** Admin actions on users and roles that leave a row in phoenix_kit_audit_logs. */
export type AuditAction =
  | 'admin_password_reset'
  | 'user_activated'
  | 'user_deactivated'
  | 'user_updated'
  | 'role_assigned'
  | 'role_removed'
  | 'role_created'
  | 'role_updated'
  | 'role_deleted'
  | 'role_permissions_changed';

export type AuditEntry = {
  action: AuditAction;
  actorUuid: string;
  targetUserUuid: string;
  client: ClientInfo;
  metadata?: Record<string, unknown>;
};

export type AuditService = {
  /** Writes one audit row; a failure is logged and never fails the action being audited. */
  record(entry: AuditEntry): Promise<void>;
};

export function createAuditService(db: Db, log: Logger): AuditService {
  return {
    async record(entry) {
      try {
        await db.auditLog.create({
          data: {
            action: entry.action,
            adminUserUuid: entry.actorUuid,
            targetUserUuid: entry.targetUserUuid,
            ipAddress: entry.client.ip,
            userAgent: entry.client.userAgent,
            metadata: (entry.metadata ?? {}) as object,
          },
        });
      } catch (error) {
        log.error({ err: error, action: entry.action }, 'audit log write failed');
      }
    },
  };
}
