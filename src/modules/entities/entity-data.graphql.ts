import { builder } from '../../graphql/builder.js';
import { NotFoundError, ValidationError, type FieldIssue } from '../../graphql/errors.js';
import { reread, selectingSomething } from '../../graphql/query.js';
import { FILE_TYPES, parseStoredFields } from './domain/field-types.js';
import { isJsonObject } from '../../util/storable-json.js';
import { auditEntityData, staleDataKeys } from './domain/validate-entity-data.js';
import { isUuid } from '../../util/uuid.js';
import { fileLoader } from './entity-files.loader.js';
import { EntitiesDisabledError } from './entity.errors.js';
import { assertEntitiesQueryable, viewerOf } from './entity.graphql.js';
import { ENTITIES_PERMISSION } from './entity.service.js';

type FileFieldShape = { key: string; type: string; uuids: string[] };

const EntityDataIssueRef = builder.objectRef<FieldIssue>('EntityDataIssue').implement({
  fields: (t) => ({ path: t.exposeString('path'), message: t.exposeString('message') }),
});

const EntityDataFileFieldRef = builder.objectRef<FileFieldShape>('EntityDataFileField').implement({
  description: 'A file or image field of an entry with the files its value references (missing files are left out).',
  fields: (t) => ({
    key: t.exposeString('key'),
    type: t.exposeString('type'),
    fileUuids: t.field({ type: ['UUID'], resolve: (f) => f.uuids }),
    files: t.prismaField({
      type: ['File'],
      description: 'Loaded for every entry of a query at once: one statement however many entries and fields.',
      resolve: async (query, field, _args, ctx) => {
        const loaded = await fileLoader(ctx, query).loadMany(field.uuids);
        return loaded.filter((file) => file !== null && !(file instanceof Error)) as never[];
      },
    }),
  }),
});

const EntityDataRef = builder.prismaNode('EntityData', {
  id: { field: 'uuid' },
  description: "An entry of an entity: a title, optional slug, status and `data` validated against the entity's fields.",
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    entity: t.relation('entity'),
    title: t.exposeString('title'),
    slug: t.exposeString('slug', { nullable: true }),
    status: t.exposeString('status'),
    data: t.expose('data', { type: 'JSON' }),
    metadata: t.expose('metadata', { type: 'JSON', nullable: true }),
    createdByUuid: t.expose('createdByUuid', { type: 'UUID', nullable: true }),
    position: t.exposeInt('position', { nullable: true }),
    parentUuid: t.expose('parentUuid', { type: 'UUID', nullable: true }),
    fileFields: t.field({
      type: [EntityDataFileFieldRef],
      description: "The entity's file and image fields, in definition order, with their referenced files.",
      select: { data: true, entity: { select: { fieldsDefinition: true } } },
      resolve: (row) => {
        const data = isJsonObject(row.data) ? row.data : {};
        return parseStoredFields(row.entity.fieldsDefinition)
          .filter((f) => FILE_TYPES.has(f.type))
          .map((f) => {
            const value = data[f.key];
            const uuids = (Array.isArray(value) ? value : [value]).filter(isUuid).map((u) => u.toLowerCase());
            return { key: f.key, type: f.type, uuids };
          });
      },
    }),
    validationIssues: t.field({
      type: [EntityDataIssueRef],
      description: "What this entry's stored data would fail against the entity's current fields; empty when valid.",
      select: { data: true, entity: { select: { fieldsDefinition: true } } },
      resolve: (row) => auditEntityData(parseStoredFields(row.entity.fieldsDefinition), row.data),
    }),
    staleFields: t.stringList({
      description: 'Keys in `data` that the entity no longer defines (kept until a write sets them to null).',
      select: { data: true, entity: { select: { fieldsDefinition: true } } },
      resolve: (row) => staleDataKeys(parseStoredFields(row.entity.fieldsDefinition), row.data),
    }),
    dateCreated: t.expose('dateCreated', { type: 'DateTime' }),
    dateUpdated: t.expose('dateUpdated', { type: 'DateTime' }),
  }),
});

builder.prismaObjectField('EntityData', 'parent', (t) =>
  t.field({
    type: EntityDataRef,
    nullable: true,
    description: 'The parent entry; null when there is none or the viewer may not see it (not published, for non-managers).',
    select: (_args, _ctx, nestedSelection) => ({
      parent: nestedSelection({ select: { status: true, entity: { select: { status: true } } } }),
    }),
    resolve: (row, _args, ctx) => {
      const parent = row.parent;
      if (!parent) return null;
      const published = parent.status === 'published' && parent.entity.status === 'published';
      // the nested selection holds what the query asks of the parent (typed here as the two columns this field adds)
      return published || ctx.services.entities.canManage(ctx.viewer) ? (parent as never) : null;
    },
  }),
);

const EntityFieldFilter = builder.inputType('EntityFieldFilter', {
  description: 'Conditions on one field value in `data` (all given conditions must hold).',
  fields: (t) => ({
    key: t.string({ required: true }),
    equals: t.field({ type: 'JSON', description: 'Exact value; for checkbox and file fields: the list holds it.' }),
    in: t.field({ type: ['JSON'], description: 'Any of these exact values.' }),
    contains: t.string({ description: 'Text contains (case-insensitive); for checkbox and file fields: the list holds it.' }),
    gt: t.field({ type: 'JSON', description: 'Greater than (numbers; dates as "YYYY-MM-DD").' }),
    gte: t.field({ type: 'JSON' }),
    lt: t.field({ type: 'JSON' }),
    lte: t.field({ type: 'JSON' }),
  }),
});

const EntityDataFilter = builder.inputType('EntityDataFilter', {
  fields: (t) => ({
    status: t.stringList({ description: 'Any of these statuses (non-managers only ever see published entries).' }),
    slug: t.string(),
    search: t.string({ description: 'Title contains, case-insensitive.' }),
    createdByUuid: t.field({ type: 'UUID' }),
    parentUuid: t.field({ type: 'UUID' }),
    fields: t.field({ type: [EntityFieldFilter], description: 'At most 20.' }),
  }),
});

const EntityDataOrderField = builder.enumType('EntityDataOrderField', {
  values: ['POSITION', 'TITLE', 'DATE_CREATED', 'DATE_UPDATED'] as const,
});
const EntityDataOrderDirection = builder.enumType('EntityDataOrderDirection', { values: ['ASC', 'DESC'] as const });

const EntityDataOrder = builder.inputType('EntityDataOrder', {
  fields: (t) => ({
    by: t.field({ type: EntityDataOrderField, required: true }),
    direction: t.field({ type: EntityDataOrderDirection, defaultValue: 'ASC' }),
  }),
});

const CreateEntityDataInput = builder.inputType('CreateEntityDataInput', {
  fields: (t) => ({
    entity: t.string({ required: true, description: 'Entity name.' }),
    title: t.string({ required: true, description: '1–255 characters.' }),
    slug: t.string({ description: '`^[a-z0-9]+(?:-[a-z0-9]+)*$`, at most 255, unique in the entity.' }),
    status: t.string({ description: 'draft (default), published or archived.' }),
    data: t.field({ type: 'JSON', description: "Field values by key; fields left out get their default." }),
    metadata: t.field({ type: 'JSON' }),
    parentUuid: t.field({ type: 'UUID', description: 'An entry of the same entity.' }),
    position: t.int({ description: 'Default: after the last entry.' }),
  }),
});

const UpdateEntityDataInput = builder.inputType('UpdateEntityDataInput', {
  description: 'Omitted attributes stay. `data` is merged over the stored data (null removes a key); the result is validated whole.',
  fields: (t) => ({
    uuid: t.field({ type: 'UUID', required: true }),
    title: t.string(),
    slug: t.string({ description: 'null or "" removes it.' }),
    status: t.string(),
    data: t.field({ type: 'JSON' }),
    metadata: t.field({ type: 'JSON' }),
    parentUuid: t.field({ type: 'UUID' }),
    position: t.int(),
  }),
});

const DeleteEntityDataInput = builder.inputType('DeleteEntityDataInput', {
  fields: (t) => ({ uuid: t.field({ type: 'UUID', required: true }) }),
});

const ReorderEntityDataInput = builder.inputType('ReorderEntityDataInput', {
  fields: (t) => ({
    entity: t.string({ required: true }),
    uuids: t.field({ type: ['UUID'], required: true, description: 'These go to positions 1..n; the rest follow.' }),
  }),
});

builder.queryFields((t) => ({
  entityData: t.withAuth({ viewer: true }).prismaConnection({
    type: 'EntityData',
    cursor: 'uuid',
    description: "An entity's entries. Non-managers see published entries of published entities only.",
    args: {
      entity: t.arg.string({ required: true, description: 'Entity name' }),
      filter: t.arg({ type: EntityDataFilter }),
      order: t.arg({ type: EntityDataOrder, description: 'Default: by position, ascending.' }),
    },
    resolve: async (query, _root, args, ctx) => {
      await assertEntitiesQueryable(ctx);
      const entity = await ctx.services.entityData.visibleEntity(ctx.viewer, args.entity);
      if (!entity) return [];
      return ctx.db.entityData.findMany({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: ctx.services.entityData.listWhere(ctx.viewer, entity, args.filter),
        orderBy: ctx.services.entityData.listOrder(args.order ? { by: args.order.by, direction: args.order.direction ?? 'ASC' } : null),
      });
    },
  }),
  entityDataItem: t.withAuth({ viewer: true }).prismaField({
    type: 'EntityData',
    nullable: true,
    description: 'One entry by uuid; null when missing or not visible.',
    args: { uuid: t.arg({ type: 'UUID', required: true }) },
    resolve: async (query, _root, { uuid }, ctx) => {
      await assertEntitiesQueryable(ctx);
      const manager = ctx.services.entities.canManage(ctx.viewer);
      return ctx.db.entityData.findFirst({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: { uuid, ...(manager ? {} : { status: 'published', entity: { status: 'published' } }) },
      });
    },
  }),
}));

const MANAGERS = { permission: ENTITIES_PERMISSION } as const;
const DATA_ERRORS = [ValidationError, NotFoundError, EntitiesDisabledError];

builder.mutationFields((t) => ({
  createEntityData: t.withAuth(MANAGERS).prismaField({
    type: 'EntityData',
    description: "Adds an entry (permission `entities`); file fields take uuids of files the author may read.",
    errors: { types: DATA_ERRORS },
    args: { input: t.arg({ type: CreateEntityDataInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const row = await ctx.services.entityData.create(viewerOf(ctx), input);
      return reread('Entry', ctx.db.entityData.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: row.uuid } }));
    },
  }),
  updateEntityData: t.withAuth(MANAGERS).prismaField({
    type: 'EntityData',
    description: "Changes an entry (permission `entities`); its whole data is validated against the entity's current fields.",
    errors: { types: DATA_ERRORS },
    args: { input: t.arg({ type: UpdateEntityDataInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const row = await ctx.services.entityData.update(viewerOf(ctx), input);
      return reread('Entry', ctx.db.entityData.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: row.uuid } }));
    },
  }),
  deleteEntityData: t.withAuth(MANAGERS).field({
    type: 'UUID',
    description: 'Deletes an entry (permission `entities`); returns its uuid.',
    errors: { types: [NotFoundError, EntitiesDisabledError] },
    args: { input: t.arg({ type: DeleteEntityDataInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.entityData.remove(input.uuid),
  }),
  reorderEntityData: t.withAuth(MANAGERS).prismaField({
    type: ['EntityData'],
    description: "Sets an entity's entry positions: the listed first (1..n), the others after; returns all entries in order.",
    errors: { types: DATA_ERRORS },
    args: { input: t.arg({ type: ReorderEntityDataInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const order = await ctx.services.entityData.reorder(input.entity, input.uuids);
      return ctx.db.entityData.findMany({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: { uuid: { in: order } },
        orderBy: [{ position: { sort: 'asc', nulls: 'last' } }, { uuid: 'asc' }],
      });
    },
  }),
}));
