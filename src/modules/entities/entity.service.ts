import type { Db } from '../../db/database.js';
import { Prisma, type Entity } from '../../generated/prisma/client.js';
import type { Viewer } from '../../graphql/context.js';
import { NotFoundError, ValidationError, type FieldIssue } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import { hasPermission } from '../auth/domain/viewer.js';
import type { SettingsService } from '../settings/setting.service.js';
import { validateEntityInput, type EntityInput } from './domain/entity-input.js';
import { diffFields, keysBecomingFiles, type FieldChanges } from './domain/field-changes.js';
import { parseStoredFields } from './domain/field-types.js';
import { normalizeFieldDefinitions, type FieldInput } from './domain/normalize-fields.js';
import { EntitiesDisabledError, EntityLimitReachedError } from './entity.errors.js';
import { UUID_SOURCE } from '../../util/uuid.js';

type Tx = Prisma.TransactionClient;

/** 20 writers on a small pool wait for the lock in turn; give them room. */
export const ENTITY_TX_OPTIONS = { maxWait: 30_000, timeout: 30_000 } as const;
/** Serialises entity creation and renames (per-user limit, name uniqueness, next position). */
const ENTITIES_LOCK = 'phoenix_kit_entities';
/** Serialises one entity's definition changes with writes of its data (slug uniqueness, positions, validation). */
export const entityLockKey = (entityUuid: string) => `phoenix_kit_entity:${entityUuid}`;

export async function advisoryLock(tx: Tx, key: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
}

/** The permission key that lets a user define entities and write their data (Admin holds it by default). */
export const ENTITIES_PERMISSION = 'entities';

export type CreateEntityInput = EntityInput & { fields?: readonly FieldInput[] | null };
export type UpdateEntityInput = CreateEntityInput & { uuid: string };
export type EntityUpdateResult = { entity: Entity; changes: FieldChanges; dataWithRemovedFields: number };

export type EntityServiceDeps = { db: Db; log: Logger; settings: SettingsService };

const NAME_TAKEN: FieldIssue = { path: 'name', message: 'has already been taken' };
const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === 'P2002';

function jsonColumn(value: Prisma.InputJsonValue | null | undefined) {
  return value === undefined ? undefined : value === null ? Prisma.DbNull : value;
}

const UUID_TEXT = `^${UUID_SOURCE}$`;

/** Which of `keys` hold, in some entry of the entity, the uuid of a user file not owned by `userUuid` (one statement). */
async function foreignFileKeys(tx: Tx, entityUuid: string, keys: readonly string[], userUuid: string): Promise<string[]> {
  const rows = await tx.$queryRaw<Array<{ key: string }>>`
    SELECT DISTINCT e.key
      FROM phoenix_kit_entity_data d
     CROSS JOIN LATERAL jsonb_each(d.data) AS e(key, value)
     CROSS JOIN LATERAL jsonb_array_elements_text(
             CASE jsonb_typeof(e.value) WHEN 'array' THEN e.value ELSE jsonb_build_array(e.value) END) AS v(text)
      JOIN phoenix_kit_files f
        ON f.uuid = CASE WHEN v.text ~* ${UUID_TEXT} THEN v.text::uuid END
     WHERE d.entity_uuid = ${entityUuid}::uuid
       AND e.key = ANY(${keys}::text[])
       AND f.system_managed = false
       AND f.user_uuid IS DISTINCT FROM ${userUuid}::uuid`;
  return rows.map((r) => r.key).sort();
}

export function createEntityService({ db, log, settings }: EntityServiceDeps) {
  const isEnabled = () => settings.getBoolean('entities_enabled');

  async function assertEnabled(): Promise<void> {
    if (!(await isEnabled())) throw new EntitiesDisabledError();
  }

  async function maxPerUser(): Promise<number> {
    const n = Number.parseInt((await settings.get('entities_max_per_user')) ?? '', 10);
    return Number.isInteger(n) && n >= 0 ? n : 100;
  }

  function validated(input: CreateEntityInput, mode: 'create' | 'update') {
    const { write, issues } = validateEntityInput(input, mode);
    const normalized = input.fields == null ? null : normalizeFieldDefinitions(input.fields);
    if (normalized && !normalized.ok) issues.push(...normalized.issues);
    if (issues.length > 0) throw new ValidationError('Invalid entity', issues);
    return { write, fields: normalized?.ok ? normalized.fields : null };
  }

  return {
    isEnabled,
    assertEnabled,

    /** Whether the viewer may define entities and write entity data (permission `entities`, or `*`). */
    canManage(viewer: Viewer | null): boolean {
      return viewer !== null && hasPermission(viewer, ENTITIES_PERMISSION);
    },

    /**
     * Creates an entity owned by the viewer. The per-user limit is counted and the row inserted under one lock,
     * so simultaneous creations never exceed `entities_max_per_user`.
     */
    async create(viewer: Viewer, input: CreateEntityInput): Promise<Entity> {
      await assertEnabled();
      const { write, fields } = validated(input, 'create');
      const limit = await maxPerUser();
      try {
        const entity = await db.$transaction(async (tx) => {
          await advisoryLock(tx, ENTITIES_LOCK);
          const owned = await tx.entity.count({ where: { createdByUuid: viewer.uuid } });
          if (owned >= limit) throw new EntityLimitReachedError(limit);
          if (await tx.entity.findUnique({ where: { name: write.name! }, select: { uuid: true } })) {
            throw new ValidationError('Invalid entity', [NAME_TAKEN]);
          }
          const last = await tx.entity.aggregate({ _max: { position: true } });
          return tx.entity.create({
            data: {
              name: write.name!,
              displayName: write.displayName!,
              displayNamePlural: write.displayNamePlural!,
              description: write.description ?? null,
              icon: write.icon ?? null,
              status: write.status!,
              fieldsDefinition: (fields ?? []) as Prisma.InputJsonValue,
              settings: jsonColumn(write.settings as Prisma.InputJsonValue | null | undefined),
              createdByUuid: viewer.uuid,
              position: (last._max.position ?? 0) + 1,
            },
          });
        }, ENTITY_TX_OPTIONS);
        log.info({ entityUuid: entity.uuid, name: entity.name }, 'entity created');
        return entity;
      } catch (error) {
        if (isUniqueViolation(error)) throw new ValidationError('Invalid entity', [NAME_TAKEN]);
        throw error;
      }
    },

    /**
     * Changes an entity. A new field list replaces the old one and never touches stored data: the result reports
     * which fields went away (and how many rows still hold values for them), which changed type or got stricter.
     * A key becoming a file field is refused while stored rows name, under it, a file the editor could not attach
     * (another user's, for anyone but admins): readers of the data would otherwise get that file.
     */
    async update(viewer: Viewer, input: UpdateEntityInput): Promise<EntityUpdateResult> {
      await assertEnabled();
      const { write, fields } = validated(input, 'update');
      try {
        const result = await db.$transaction(async (tx) => {
          if (write.name !== undefined) await advisoryLock(tx, ENTITIES_LOCK);
          await advisoryLock(tx, entityLockKey(input.uuid));
          const current = await tx.entity.findUnique({ where: { uuid: input.uuid } });
          if (!current) throw new NotFoundError('Entity');
          if (write.name !== undefined && write.name !== current.name) {
            if (await tx.entity.findUnique({ where: { name: write.name }, select: { uuid: true } })) {
              throw new ValidationError('Invalid entity', [NAME_TAKEN]);
            }
          }
          const before = parseStoredFields(current.fieldsDefinition);
          const changes = fields ? diffFields(before, fields) : diffFields([], []);
          const becomingFiles = fields && !viewer.isAdmin ? keysBecomingFiles(before, fields) : [];
          if (becomingFiles.length > 0) {
            const foreign = await foreignFileKeys(tx, input.uuid, becomingFiles, viewer.uuid);
            if (foreign.length > 0) {
              throw new ValidationError(
                'Invalid entity',
                foreign.map((key) => ({
                  path: `fields.${fields!.findIndex((f) => f.key === key)}.type`,
                  message: "stored entries hold another user's files under this key",
                })),
              );
            }
          }
          let dataWithRemovedFields = 0;
          if (changes.removed.length > 0) {
            const [row] = await tx.$queryRaw<Array<{ n: number }>>`
              SELECT count(*)::int AS n FROM phoenix_kit_entity_data
               WHERE entity_uuid = ${input.uuid}::uuid AND data ?| ${changes.removed}::text[]`;
            dataWithRemovedFields = row?.n ?? 0;
          }
          const entity = await tx.entity.update({
            where: { uuid: input.uuid },
            data: {
              ...(write.name !== undefined ? { name: write.name } : {}),
              ...(write.displayName !== undefined ? { displayName: write.displayName } : {}),
              ...(write.displayNamePlural !== undefined ? { displayNamePlural: write.displayNamePlural } : {}),
              ...(write.description !== undefined ? { description: write.description } : {}),
              ...(write.icon !== undefined ? { icon: write.icon } : {}),
              ...(write.status !== undefined ? { status: write.status } : {}),
              ...(write.settings !== undefined ? { settings: jsonColumn(write.settings as Prisma.InputJsonValue | null) } : {}),
              ...(fields ? { fieldsDefinition: fields as Prisma.InputJsonValue } : {}),
            },
          });
          return { entity, changes, dataWithRemovedFields };
        }, ENTITY_TX_OPTIONS);
        log.info({ entityUuid: input.uuid, ...result.changes }, 'entity updated');
        return result;
      } catch (error) {
        if (isUniqueViolation(error)) throw new ValidationError('Invalid entity', [NAME_TAKEN]);
        throw error;
      }
    },

    /** Deletes an entity and (by the foreign key) all its data. */
    async remove(uuid: string): Promise<string> {
      await assertEnabled();
      await db.$transaction(async (tx) => {
        await advisoryLock(tx, entityLockKey(uuid));
        const { count } = await tx.entity.deleteMany({ where: { uuid } });
        if (count === 0) throw new NotFoundError('Entity');
      }, ENTITY_TX_OPTIONS);
      log.info({ entityUuid: uuid }, 'entity deleted');
      return uuid;
    },

    /** Puts the listed entities first, at positions 1..n in that order; the others follow in their previous order. */
    async reorder(uuids: readonly string[]): Promise<string[]> {
      await assertEnabled();
      if (new Set(uuids).size !== uuids.length) throw new ValidationError('Invalid order', [{ path: 'uuids', message: 'lists an entity twice' }]);
      return db.$transaction(async (tx) => {
        await advisoryLock(tx, ENTITIES_LOCK);
        const all = await tx.entity.findMany({
          select: { uuid: true, position: true },
          orderBy: [{ position: { sort: 'asc', nulls: 'last' } }, { uuid: 'asc' }],
        });
        const known = new Set(all.map((e) => e.uuid));
        if (uuids.some((u) => !known.has(u))) throw new NotFoundError('Entity');
        const listed = new Set(uuids);
        const order = [...uuids, ...all.map((e) => e.uuid).filter((u) => !listed.has(u))];
        const positions = new Map(all.map((e) => [e.uuid, e.position]));
        for (const [i, uuid] of order.entries()) {
          if (positions.get(uuid) !== i + 1) await tx.entity.update({ where: { uuid }, data: { position: i + 1 } });
        }
        return order;
      }, ENTITY_TX_OPTIONS);
    },
  };
}

export type EntityService = ReturnType<typeof createEntityService>;
