import { GraphQLError } from 'graphql';
import type { Db } from '../../db/database.js';
import type { ClientInfo, Viewer } from '../../graphql/context.js';
import { NotFoundError, ValidationError, type FieldIssue } from '../../graphql/errors.js';
import { Prisma } from '../../generated/prisma/client.js';
import type { AuditService } from '../audit/audit.service.js';
import { hasPermission } from '../auth/domain/viewer.js';
import { CUSTOM_FIELD_KEY, validateCustomField } from './domain/custom-fields.js';
import { validateName, validateTimezone, validateUsername } from './domain/validation.js';

export type ProfileInput = {
  userUuid?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  username?: string | null;
  userTimezone?: string | null;
};

type Actor = { viewer: Viewer; client: ClientInfo };

/** Profile edits: users edit themselves; admins (or holders of the `users` permission) edit anyone, audited. */
export function createProfileService({ db, audit }: { db: Db; audit: AuditService }) {
  /** The user to act on, after checking the viewer may edit them. */
  async function target({ viewer }: Actor, userUuid: string | null | undefined): Promise<string> {
    const uuid = userUuid ?? viewer.uuid;
    if (uuid !== viewer.uuid && !viewer.isAdmin && !hasPermission(viewer, 'users')) {
      throw new GraphQLError('Not allowed', { extensions: { code: 'FORBIDDEN' } });
    }
    if (!(await db.user.findUnique({ where: { uuid }, select: { uuid: true } }))) throw new NotFoundError('User');
    return uuid;
  }

  async function auditIfForeign(actor: Actor, targetUserUuid: string, metadata: Record<string, unknown>) {
    if (targetUserUuid !== actor.viewer.uuid) {
      await audit.record({ action: 'user_updated', actorUuid: actor.viewer.uuid, targetUserUuid, client: actor.client, metadata });
    }
  }

  return {
    async updateProfile(actor: Actor, input: ProfileInput): Promise<string> {
      const data: Prisma.UserUpdateInput = {};
      const issues: FieldIssue[] = [];
      for (const field of ['firstName', 'lastName'] as const) {
        const value = input[field];
        if (value === undefined) continue;
        const trimmed = value?.trim() || null;
        if (trimmed) issues.push(...validateName(trimmed, field));
        data[field] = trimmed;
      }
      if (input.username !== undefined) {
        const username = input.username?.trim() ?? '';
        issues.push(...validateUsername(username));
        data.username = username;
      }
      if (input.userTimezone !== undefined) {
        const tz = input.userTimezone?.trim() || null;
        if (tz) issues.push(...validateTimezone(tz));
        data.userTimezone = tz;
      }
      if (issues.length > 0) throw new ValidationError('Profile input is invalid', issues);
      const uuid = await target(actor, input.userUuid);
      try {
        await db.user.update({ where: { uuid }, data });
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
          throw new ValidationError('Profile input is invalid', [{ path: 'username', message: 'has already been taken' }]);
        }
        throw error;
      }
      await auditIfForeign(actor, uuid, { fields: Object.keys(data) });
      return uuid;
    },

    /** Sets one key of `custom_fields` atomically (other keys are untouched, even by concurrent writes). */
    async setCustomField(actor: Actor, input: { userUuid?: string | null; key: string; value?: unknown }): Promise<string> {
      const uuid = await target(actor, input.userUuid);
      await db.$transaction(async (tx) => {
        // the row lock makes simultaneous writes of new keys count one after another, so together they stay within the cap
        const [current] = await tx.$queryRaw<{ customFields: Record<string, unknown> | null }[]>`
          SELECT custom_fields AS "customFields" FROM phoenix_kit_users WHERE uuid = ${uuid}::uuid FOR NO KEY UPDATE`;
        const issues = validateCustomField(input.key, input.value, Object.keys(current?.customFields ?? {}));
        if (issues.length > 0) throw new ValidationError('Custom field is invalid', issues);
        await tx.$executeRaw`
          UPDATE phoenix_kit_users
             SET custom_fields = COALESCE(custom_fields, '{}'::jsonb) || jsonb_build_object(${input.key}::text, ${JSON.stringify(input.value)}::jsonb),
                 updated_at = now()
           WHERE uuid = ${uuid}::uuid`;
      });
      await auditIfForeign(actor, uuid, { customField: input.key });
      return uuid;
    },

    /** Removes one key of `custom_fields`; removing a missing key is a no-op. */
    async deleteCustomField(actor: Actor, input: { userUuid?: string | null; key: string }): Promise<string> {
      const uuid = await target(actor, input.userUuid);
      // no such key can be stored, so none is there to delete (and the database would refuse a NUL in it)
      if (!CUSTOM_FIELD_KEY.test(input.key)) return uuid;
      await db.$executeRaw`
        UPDATE phoenix_kit_users SET custom_fields = COALESCE(custom_fields, '{}'::jsonb) - ${input.key}::text, updated_at = now()
         WHERE uuid = ${uuid}::uuid`;
      await auditIfForeign(actor, uuid, { customField: input.key, deleted: true });
      return uuid;
    },
  };
}

export type ProfileService = ReturnType<typeof createProfileService>;
