import { GraphQLError } from 'graphql';
import type { Db } from '../../db/database.js';
import { Prisma, type Entity, type EntityData } from '../../generated/prisma/client.js';
import type { Viewer } from '../../graphql/context.js';
import { NotFoundError, ValidationError, type FieldIssue } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import type { FileService } from '../files/file.service.js';
import { STATUSES, validateDataInput, type DataInput } from './domain/entity-input.js';
import { LIST_TYPES, parseStoredFields, type FieldDefinition } from './domain/field-types.js';
import { isJsonObject, type JsonObject } from '../../util/storable-json.js';
import { escapeLike, isStorableText } from '../../util/text.js';
import { prepareEntityData, type FileRef } from './domain/validate-entity-data.js';
import { fileConstraintIssue } from './domain/validate-field-value.js';
import { ENTITY_TX_OPTIONS, advisoryLock, entityLockKey, type EntityService } from './entity.service.js';

type Tx = Prisma.TransactionClient;

export type CreateEntityDataInput = DataInput & { entity: string; data?: unknown; parentUuid?: string | null };
export type UpdateEntityDataInput = DataInput & { uuid: string; data?: unknown; parentUuid?: string | null };

/** One condition on a field's value in the JSON (`entityData(filter: {fields: [...]})`). */
export type FieldFilter = {
  key: string;
  equals?: unknown;
  in?: readonly unknown[] | null;
  contains?: string | null;
  gt?: unknown;
  gte?: unknown;
  lt?: unknown;
  lte?: unknown;
};
export type DataFilter = {
  status?: readonly string[] | null;
  slug?: string | null;
  search?: string | null;
  createdByUuid?: string | null;
  parentUuid?: string | null;
  fields?: readonly FieldFilter[] | null;
};
export type DataOrder = { by: 'POSITION' | 'TITLE' | 'DATE_CREATED' | 'DATE_UPDATED'; direction: 'ASC' | 'DESC' };

export type EntityDataServiceDeps = { db: Db; log: Logger; files: FileService; entities: EntityService };

/** Values an `in` field filter may list (each is one condition in the statement). */
const MAX_IN_VALUES = 100;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const SLUG_TAKEN: FieldIssue = { path: 'slug', message: 'has already been taken in this entity' };

const badInput = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

export function createEntityDataService({ db, log, files, entities }: EntityDataServiceDeps) {
  /**
   * Checks newly referenced files: the author may read each (FileService.visibleFile: their own, any for admins), it
   * is not in the trash, and it suits its field (image, size cap, accepted types).
   */
  async function checkFileRefs(tx: Tx, viewer: Viewer, refs: readonly FileRef[]): Promise<FieldIssue[]> {
    const found = await Promise.all(
      refs.map(async (ref) => {
        try {
          const file = await files.visibleFile(viewer, ref.uuid, tx);
          if (file.status === 'trashed') return { path: ref.path, message: 'is in the trash' };
          const problem = fileConstraintIssue(ref.field, { size: Number(file.size), ext: file.ext, mimeType: file.mimeType, fileType: file.fileType });
          return problem ? { path: ref.path, message: problem } : null;
        } catch (error) {
          if (error instanceof NotFoundError) return { path: ref.path, message: 'is not a file you can use' };
          throw error;
        }
      }),
    );
    return found.filter((issue): issue is FieldIssue => issue !== null);
  }

  /** Files in `after` that the stored value of the same field did not already reference. */
  function newRefs(refs: readonly FileRef[], before: JsonObject | null): FileRef[] {
    return refs.filter((ref) => {
      const old = before?.[ref.field.key];
      return !(Array.isArray(old) ? old.includes(ref.uuid) : old === ref.uuid);
    });
  }

  /** The data to store, validated inside the write's transaction (under the entity lock, so nothing changes meanwhile). */
  async function validatedData(tx: Tx, viewer: Viewer, fields: FieldDefinition[], input: unknown, existing: JsonObject | null) {
    const prepared = prepareEntityData(fields, input, existing);
    if (!prepared.ok) throw new ValidationError('Invalid entity data', prepared.issues);
    const fileIssues = await checkFileRefs(tx, viewer, newRefs(prepared.fileRefs, existing));
    if (fileIssues.length > 0) throw new ValidationError('Invalid entity data', fileIssues);
    return prepared.data;
  }

  /** A parent in the same entity that is not the row itself nor one of its descendants. */
  async function checkParent(tx: Tx, entityUuid: string, parentUuid: string, selfUuid: string | null): Promise<void> {
    const refuse = (message: string) => new ValidationError('Invalid entity data', [{ path: 'parentUuid', message }]);
    if (parentUuid === selfUuid) throw refuse('cannot be the entry itself');
    // held until commit: a deletion of the parent waits for this entry, or went first and the parent is gone here
    const [parent] = await tx.$queryRaw<{ entityUuid: string; parentUuid: string | null }[]>`
      SELECT entity_uuid AS "entityUuid", parent_uuid AS "parentUuid" FROM phoenix_kit_entity_data
       WHERE uuid = ${parentUuid}::uuid FOR KEY SHARE`;
    if (!parent || parent.entityUuid !== entityUuid) throw refuse('must be an entry of the same entity');
    let ancestor = parent.parentUuid;
    for (let hops = 0; ancestor && selfUuid && hops < 1000; hops++) {
      if (ancestor === selfUuid) throw refuse('cannot be one of its own descendants');
      ancestor = (await tx.entityData.findUnique({ where: { uuid: ancestor }, select: { parentUuid: true } }))?.parentUuid ?? null;
    }
  }

  async function assertSlugFree(tx: Tx, entityUuid: string, slug: string, selfUuid: string | null): Promise<void> {
    const other = await tx.entityData.findFirst({ where: { entityUuid, slug, ...(selfUuid ? { uuid: { not: selfUuid } } : {}) }, select: { uuid: true } });
    if (other) throw new ValidationError('Invalid entity data', [SLUG_TAKEN]);
  }

  /** A write that lost the race for a slug to another one (the unique index) is the same refusal as a taken slug. */
  /** A write that lost a race: a slug taken meanwhile, or (P2025) the entry deleted after it was read. */
  function writeRaceAsTyped(error: unknown): never {
    const code = (error as { code?: string }).code;
    if (code === 'P2002') throw new ValidationError('Invalid entity data', [SLUG_TAKEN]);
    if (code === 'P2025') throw new NotFoundError('EntityData');
    throw error;
  }

  function fieldFilterWhere(fields: readonly FieldDefinition[], filter: FieldFilter): Prisma.EntityDataWhereInput[] {
    const field = fields.find((f) => f.key === filter.key);
    if (!field) throw badInput(`"${filter.key}" is not a field of this entity`);
    const path = [filter.key];
    const json = (v: unknown) => v as Prisma.InputJsonValue;
    const where: Prisma.EntityDataWhereInput[] = [];
    if (filter.equals !== undefined && filter.equals !== null) {
      where.push({ data: LIST_TYPES.has(field.type) ? { path, array_contains: json([filter.equals]) } : { path, equals: json(filter.equals) } });
    }
    if (filter.in) {
      if (filter.in.length > MAX_IN_VALUES) throw badInput(`"in" takes at most ${MAX_IN_VALUES} values`);
      // none of no values: an empty list matches no entry
      where.push(filter.in.length === 0 ? { uuid: { in: [] } } : { OR: filter.in.map((v) => ({ data: { path, equals: json(v) } })) });
    }
    if (filter.contains != null) {
      where.push({
        data: LIST_TYPES.has(field.type)
          ? { path, array_contains: json([filter.contains]) }
          : { path, string_contains: escapeLike(filter.contains), mode: 'insensitive' },
      });
    }
    for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
      const bound = filter[op];
      if (bound === undefined || bound === null) continue;
      // a number or a date (YYYY-MM-DD, which orders as text); anything else has no order here
      if (!((typeof bound === 'string' && ISO_DATE.test(bound)) || (typeof bound === 'number' && Number.isFinite(bound)))) {
        throw badInput(`"${op}" takes a number or a date`);
      }
      where.push({ data: { path, [op]: json(bound) } as Prisma.JsonFilter<'EntityData'> });
    }
    return where;
  }

  /** The entity named `name`, or null (a name no column can hold, a NUL say, names none). */
  const entityNamed = async (name: string): Promise<Entity | null> =>
    isStorableText(name) ? db.entity.findUnique({ where: { name } }) : null;

  return {
    /** The entity by name if the viewer may see it: managers see every status, others only published entities. */
    async visibleEntity(viewer: Viewer, name: string): Promise<Entity | null> {
      const entity = await entityNamed(name);
      if (!entity || (entity.status !== 'published' && !entities.canManage(viewer))) return null;
      return entity;
    },

    /**
     * Where-clause for listing an entity's data: non-managers see published entries only; the filter narrows by
     * status, slug, title text, author, parent and field values in the JSON (unknown field keys are refused).
     */
    listWhere(viewer: Viewer, entity: Entity, filter: DataFilter | null | undefined): Prisma.EntityDataWhereInput {
      const fields = parseStoredFields(entity.fieldsDefinition);
      const and: Prisma.EntityDataWhereInput[] = [{ entityUuid: entity.uuid }];
      if (!entities.canManage(viewer)) and.push({ status: 'published' });
      if (filter?.status) {
        const bad = filter.status.find((s) => !(STATUSES as readonly string[]).includes(s));
        if (bad) throw badInput(`status must be one of: ${STATUSES.join(', ')}`);
        and.push({ status: { in: [...filter.status] } });
      }
      if (filter?.slug != null) and.push({ slug: filter.slug });
      if (filter?.search != null && filter.search !== '') {
        and.push({ title: { contains: escapeLike(filter.search.slice(0, 255)), mode: 'insensitive' } });
      }
      if (filter?.createdByUuid != null) and.push({ createdByUuid: filter.createdByUuid });
      if (filter?.parentUuid != null) and.push({ parentUuid: filter.parentUuid });
      if ((filter?.fields?.length ?? 0) > 20) throw badInput('at most 20 field filters');
      for (const f of filter?.fields ?? []) and.push(...fieldFilterWhere(fields, f));
      return { AND: and };
    },

    /** Order for listing; ties break on uuid so cursors stay stable. */
    listOrder(order: DataOrder | null | undefined): Prisma.EntityDataOrderByWithRelationInput[] {
      const dir = order?.direction === 'DESC' ? 'desc' : 'asc';
      const by = order?.by ?? 'POSITION';
      const first: Prisma.EntityDataOrderByWithRelationInput =
        by === 'TITLE'
          ? { title: dir }
          : by === 'DATE_CREATED'
            ? { dateCreated: dir }
            : by === 'DATE_UPDATED'
              ? { dateUpdated: dir }
              : { position: { sort: dir, nulls: 'last' } };
      return [first, { uuid: dir }];
    },

    /** Creates an entry: data validated against the entity's fields, next position, slug unique in the entity. */
    async create(viewer: Viewer, input: CreateEntityDataInput): Promise<EntityData> {
      await entities.assertEnabled();
      const { write, issues } = validateDataInput(input, 'create');
      if (issues.length > 0) throw new ValidationError('Invalid entity data', issues);
      const entity = await entityNamed(input.entity);
      if (!entity) throw new NotFoundError('Entity');
      // validated under the entity lock: the definition cannot change between the check and the write
      const row = await db
        .$transaction(async (tx) => {
          await advisoryLock(tx, entityLockKey(entity.uuid));
          const fresh = await tx.entity.findUnique({ where: { uuid: entity.uuid }, select: { fieldsDefinition: true } });
          if (!fresh) throw new NotFoundError('Entity');
          const data = await validatedData(tx, viewer, parseStoredFields(fresh.fieldsDefinition), input.data ?? {}, null);
          if (input.parentUuid) await checkParent(tx, entity.uuid, input.parentUuid, null);
          if (write.slug) await assertSlugFree(tx, entity.uuid, write.slug, null);
          const position =
            write.position ?? ((await tx.entityData.aggregate({ where: { entityUuid: entity.uuid }, _max: { position: true } }))._max.position ?? 0) + 1;
          return tx.entityData.create({
            data: {
              entityUuid: entity.uuid,
              title: write.title!,
              slug: write.slug ?? null,
              status: write.status!,
              data: data as Prisma.InputJsonValue,
              metadata: write.metadata ? (write.metadata as Prisma.InputJsonValue) : Prisma.DbNull,
              createdByUuid: viewer.uuid,
              parentUuid: input.parentUuid ?? null,
              position,
            },
          });
        }, ENTITY_TX_OPTIONS)
        .catch(writeRaceAsTyped);
      log.info({ entityDataUuid: row.uuid, entityUuid: row.entityUuid }, 'entity data created');
      return row;
    },

    /**
     * Updates an entry. `data` is merged over the stored data (null removes a key) and the whole result is validated
     * against the entity's current fields, so data written under an older definition is checked on this write.
     */
    async update(viewer: Viewer, input: UpdateEntityDataInput): Promise<EntityData> {
      await entities.assertEnabled();
      const { write, issues } = validateDataInput(input, 'update');
      if (issues.length > 0) throw new ValidationError('Invalid entity data', issues);
      const target = await db.entityData.findUnique({ where: { uuid: input.uuid }, select: { entityUuid: true } });
      if (!target) throw new NotFoundError('EntityData');
      // validated under the entity lock, against the data and definition as they are then: writers take turns
      return db
        .$transaction(async (tx) => {
          await advisoryLock(tx, entityLockKey(target.entityUuid));
          const row = await tx.entityData.findUnique({ where: { uuid: input.uuid }, include: { entity: { select: { fieldsDefinition: true } } } });
          if (!row) throw new NotFoundError('EntityData');
          const existing = isJsonObject(row.data) ? row.data : {};
          const data = await validatedData(tx, viewer, parseStoredFields(row.entity.fieldsDefinition), input.data, existing);
          if (input.parentUuid) await checkParent(tx, row.entityUuid, input.parentUuid, row.uuid);
          if (write.slug) await assertSlugFree(tx, row.entityUuid, write.slug, row.uuid);
          return tx.entityData.update({
            where: { uuid: row.uuid },
            data: {
              ...(write.title !== undefined ? { title: write.title } : {}),
              ...(write.slug !== undefined ? { slug: write.slug } : {}),
              ...(write.status !== undefined ? { status: write.status } : {}),
              ...(write.position !== undefined ? { position: write.position } : {}),
              ...(write.metadata !== undefined ? { metadata: write.metadata ? (write.metadata as Prisma.InputJsonValue) : Prisma.DbNull } : {}),
              ...(input.parentUuid !== undefined ? { parentUuid: input.parentUuid } : {}),
              data: data as Prisma.InputJsonValue,
            },
          });
        }, ENTITY_TX_OPTIONS)
        .catch(writeRaceAsTyped);
    },

    /** Deletes one entry; its children keep existing without a parent. */
    async remove(uuid: string): Promise<string> {
      await entities.assertEnabled();
      const { count } = await db.entityData.deleteMany({ where: { uuid } });
      if (count === 0) throw new NotFoundError('EntityData');
      log.info({ entityDataUuid: uuid }, 'entity data deleted');
      return uuid;
    },

    /** Puts the listed entries of one entity at positions 1..n; the others follow in their previous order. */
    async reorder(entityName: string, uuids: readonly string[]): Promise<string[]> {
      await entities.assertEnabled();
      if (new Set(uuids).size !== uuids.length) throw new ValidationError('Invalid order', [{ path: 'uuids', message: 'lists an entry twice' }]);
      const entity = await entityNamed(entityName);
      if (!entity) throw new NotFoundError('Entity');
      return db.$transaction(async (tx) => {
        await advisoryLock(tx, entityLockKey(entity.uuid));
        const rows = await tx.entityData.findMany({
          where: { entityUuid: entity.uuid },
          select: { uuid: true, position: true },
          orderBy: [{ position: { sort: 'asc', nulls: 'last' } }, { uuid: 'asc' }],
        });
        const known = new Set(rows.map((r) => r.uuid));
        if (uuids.some((u) => !known.has(u))) throw new NotFoundError('EntityData');
        const listed = new Set(uuids);
        const order = [...uuids, ...rows.map((r) => r.uuid).filter((u) => !listed.has(u))];
        const positions = new Map(rows.map((r) => [r.uuid, r.position]));
        for (const [i, uuid] of order.entries()) {
          if (positions.get(uuid) !== i + 1) await tx.entityData.update({ where: { uuid }, data: { position: i + 1 } });
        }
        return order;
      }, ENTITY_TX_OPTIONS);
    },
  };
}

export type EntityDataService = ReturnType<typeof createEntityDataService>;
