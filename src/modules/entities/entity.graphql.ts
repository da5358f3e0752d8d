import { GraphQLError } from 'graphql';
import { builder } from '../../graphql/builder.js';
import type { Context, Viewer } from '../../graphql/context.js';
import { ErrorInterface, exposeError } from '../../graphql/error-types.js';
import { checkOneOf, NotFoundError, ValidationError } from '../../graphql/errors.js';
import { reread, selectingSomething } from '../../graphql/query.js';
import { STATUSES } from './domain/entity-input.js';
import type { FieldChanges } from './domain/field-changes.js';
import { FIELD_TYPES, parseStoredFields, type FieldDefinition } from './domain/field-types.js';
import { EntitiesDisabledError, EntityLimitReachedError } from './entity.errors.js';
import { ENTITIES_PERMISSION } from './entity.service.js';

exposeError(EntitiesDisabledError);
builder.objectType(EntityLimitReachedError, {
  name: 'EntityLimitReachedError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof EntityLimitReachedError,
  fields: (t) => ({ limit: t.exposeInt('limit') }),
});

/** The signed-in viewer of a mutation whose scope already required one. */
export function viewerOf(ctx: Context): Viewer {
  if (!ctx.viewer) throw new GraphQLError('Sign in required', { extensions: { code: 'UNAUTHENTICATED' } });
  return ctx.viewer;
}

/** Queries of a switched-off module answer with a top-level error rather than an empty result that looks real. */
export async function assertEntitiesQueryable(ctx: Context): Promise<void> {
  if (!(await ctx.services.entities.isEnabled())) {
    throw new GraphQLError('The entities module is switched off (setting entities_enabled)', { extensions: { code: 'MODULE_DISABLED' } });
  }
}

const EntityFieldRef = builder.objectRef<FieldDefinition>('EntityField').implement({
  description: 'One field of an entity: its type, key, label, whether it is required, its default, options and props.',
  fields: (t) => ({
    type: t.exposeString('type', { description: FIELD_TYPES.join(', ') }),
    key: t.exposeString('key'),
    label: t.exposeString('label'),
    required: t.exposeBoolean('required'),
    default: t.field({ type: 'JSON', nullable: true, resolve: (f) => f.default ?? null }),
    options: t.stringList({ nullable: true, resolve: (f) => f.options ?? null }),
    placeholder: t.string({ nullable: true, resolve: (f) => f.placeholder ?? null }),
    maxLength: t.int({ nullable: true, resolve: (f) => f.max_length ?? null }),
    minLength: t.int({ nullable: true, resolve: (f) => f.min_length ?? null }),
    rows: t.int({ nullable: true, resolve: (f) => f.rows ?? null }),
    min: t.float({ nullable: true, resolve: (f) => f.min ?? null }),
    max: t.float({ nullable: true, resolve: (f) => f.max ?? null }),
    step: t.float({ nullable: true, resolve: (f) => f.step ?? null }),
    format: t.string({ nullable: true, resolve: (f) => f.format ?? null }),
    allowEmpty: t.boolean({ nullable: true, resolve: (f) => f.allow_empty ?? null }),
    allowMultiple: t.boolean({ nullable: true, resolve: (f) => f.allow_multiple ?? null }),
    maxEntries: t.int({ nullable: true, resolve: (f) => f.max_entries ?? null }),
    maxFileSize: t.float({ nullable: true, description: 'Bytes.', resolve: (f) => f.max_file_size ?? null }),
    accept: t.stringList({ nullable: true, resolve: (f) => f.accept ?? null }),
    toolbar: t.string({ nullable: true, resolve: (f) => f.toolbar ?? null }),
  }),
});

builder.prismaNode('Entity', {
  id: { field: 'uuid' },
  description: 'A content type defined at run time: a name, display names, a status and a list of typed fields.',
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    name: t.exposeString('name'),
    displayName: t.exposeString('displayName'),
    displayNamePlural: t.exposeString('displayNamePlural', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    icon: t.exposeString('icon', { nullable: true }),
    status: t.exposeString('status', { description: 'draft, published or archived.' }),
    fields: t.field({
      type: [EntityFieldRef],
      description: 'The field definitions, in order.',
      select: { fieldsDefinition: true },
      resolve: (entity) => parseStoredFields(entity.fieldsDefinition),
    }),
    fieldsDefinition: t.expose('fieldsDefinition', { type: 'JSON', description: 'The stored definition as JSON (snake_case props).' }),
    settings: t.expose('settings', { type: 'JSON', nullable: true }),
    createdByUuid: t.expose('createdByUuid', { type: 'UUID' }),
    position: t.exposeInt('position', { nullable: true }),
    dateCreated: t.expose('dateCreated', { type: 'DateTime' }),
    dateUpdated: t.expose('dateUpdated', { type: 'DateTime' }),
  }),
});

const EntityFieldInput = builder.inputType('EntityFieldInput', {
  description: 'Props that do not apply to the type must be left out; options are required for select, radio and checkbox.',
  fields: (t) => ({
    type: t.string({ required: true, description: FIELD_TYPES.join(', ') }),
    key: t.string({ required: true, description: '`^[a-z][a-z0-9_]*$`, at most 50, unique in the entity.' }),
    label: t.string({ required: true }),
    required: t.boolean(),
    default: t.field({ type: 'JSON', description: 'Used when a new entry leaves the field out; must be a valid value.' }),
    options: t.stringList({ description: 'select, radio, checkbox.' }),
    placeholder: t.string({ description: 'text, textarea, email, url, number, select.' }),
    maxLength: t.int({ description: 'text (default 255), textarea (default 5000), rich_text (default 100000).' }),
    minLength: t.int({ description: 'text, textarea.' }),
    rows: t.int({ description: 'textarea (default 4).' }),
    min: t.float({ description: 'number.' }),
    max: t.float({ description: 'number.' }),
    step: t.float({ description: 'number (default 1; a hint for inputs, not enforced).' }),
    format: t.string({ description: 'date display format (default Y-m-d); values are always stored YYYY-MM-DD.' }),
    allowEmpty: t.boolean({ description: 'select (default true).' }),
    allowMultiple: t.boolean({ description: 'checkbox (default true).' }),
    maxEntries: t.int({ description: 'file (default 5).' }),
    maxFileSize: t.float({ description: 'file (default 15728640 bytes), image.' }),
    accept: t.stringList({ description: 'file: extensions (".pdf") or MIME types ("image/*"); default .pdf .jpg .jpeg .png; [] = any.' }),
    toolbar: t.string({ description: 'rich_text: basic (default) or full.' }),
  }),
});

const CreateEntityInput = builder.inputType('CreateEntityInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '2–50 characters, `^[a-z][a-z0-9_]*$`, unique.' }),
    displayName: t.string({ required: true, description: '2–100 characters.' }),
    displayNamePlural: t.string({ required: true, description: '2–100 characters.' }),
    description: t.string({ description: 'At most 500 characters.' }),
    icon: t.string(),
    status: t.string({ description: 'draft (default), published or archived.' }),
    fields: t.field({ type: [EntityFieldInput] }),
    settings: t.field({ type: 'JSON', description: 'A JSON object (sort mode, translations, …).' }),
  }),
});

const UpdateEntityInput = builder.inputType('UpdateEntityInput', {
  description: 'Omitted attributes stay; `fields` replaces the whole list (stored data is never rewritten).',
  fields: (t) => ({
    uuid: t.field({ type: 'UUID', required: true }),
    name: t.string(),
    displayName: t.string(),
    displayNamePlural: t.string(),
    description: t.string(),
    icon: t.string(),
    status: t.string(),
    fields: t.field({ type: [EntityFieldInput] }),
    settings: t.field({ type: 'JSON' }),
  }),
});

const DeleteEntityInput = builder.inputType('DeleteEntityInput', {
  fields: (t) => ({ uuid: t.field({ type: 'UUID', required: true }) }),
});

const ReorderEntitiesInput = builder.inputType('ReorderEntitiesInput', {
  fields: (t) => ({ uuids: t.field({ type: ['UUID'], required: true, description: 'These go to positions 1..n; the rest follow.' }) }),
});

type UpdateEntityShape = { entityUuid: string; changes: FieldChanges; dataWithRemovedFields: number };

const UpdateEntityPayload = builder.objectRef<UpdateEntityShape>('UpdateEntityPayload').implement({
  description: 'The updated entity and what its new field list means for stored data (which is never rewritten).',
  fields: (t) => ({
    entity: t.prismaField({
      type: 'Entity',
      resolve: (query, p, _args, ctx) =>
        reread('Entity', ctx.db.entity.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: p.entityUuid } })),
    }),
    addedFields: t.stringList({ resolve: (p) => p.changes.added }),
    removedFields: t.stringList({
      description: 'Keys no longer defined. Stored values stay (see EntityData.staleFields) until a write sets them to null.',
      resolve: (p) => p.changes.removed,
    }),
    retypedFields: t.stringList({ resolve: (p) => p.changes.retyped }),
    tightenedFields: t.stringList({
      description: 'Newly required, options dropped, or a narrower length, range or count.',
      resolve: (p) => p.changes.tightened,
    }),
    dataWithRemovedFields: t.exposeInt('dataWithRemovedFields', { description: 'Entries holding a value for a removed field.' }),
  }),
});

builder.queryFields((t) => ({
  entities: t.withAuth({ viewer: true }).prismaConnection({
    type: 'Entity',
    cursor: 'uuid',
    description: 'Entities by position. Holders of the `entities` permission see every status; others only published ones.',
    args: { status: t.arg.string({ description: 'draft, published or archived.' }) },
    resolve: async (query, _root, args, ctx) => {
      checkOneOf('status', args.status, STATUSES);
      await assertEntitiesQueryable(ctx);
      const manager = ctx.services.entities.canManage(ctx.viewer);
      if (!manager && args.status && args.status !== 'published') return [];
      const status = manager ? args.status : 'published';
      return ctx.db.entity.findMany({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: status ? { status } : {},
        orderBy: [{ position: { sort: 'asc', nulls: 'last' } }, { uuid: 'asc' }],
      });
    },
  }),
  entity: t.withAuth({ viewer: true }).prismaField({
    type: 'Entity',
    nullable: true,
    description: 'One entity by name; null when missing or not visible (unpublished, for non-managers).',
    args: { name: t.arg.string({ required: true }) },
    resolve: async (query, _root, { name }, ctx) => {
      await assertEntitiesQueryable(ctx);
      const manager = ctx.services.entities.canManage(ctx.viewer);
      return ctx.db.entity.findFirst({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: { name, ...(manager ? {} : { status: 'published' }) },
      });
    },
  }),
}));

const MANAGERS = { permission: ENTITIES_PERMISSION } as const;

builder.mutationFields((t) => ({
  createEntity: t.withAuth(MANAGERS).prismaField({
    type: 'Entity',
    description: 'Defines a new entity (permission `entities`). At most `entities_max_per_user` per creator.',
    errors: { types: [ValidationError, NotFoundError, EntitiesDisabledError, EntityLimitReachedError] },
    args: { input: t.arg({ type: CreateEntityInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const entity = await ctx.services.entities.create(viewerOf(ctx), input);
      return reread('Entity', ctx.db.entity.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: entity.uuid } }));
    },
  }),
  updateEntity: t.withAuth(MANAGERS).field({
    type: UpdateEntityPayload,
    description: 'Changes an entity (permission `entities`); reports what a new field list means for stored data.',
    errors: { types: [ValidationError, NotFoundError, EntitiesDisabledError] },
    args: { input: t.arg({ type: UpdateEntityInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { entity, changes, dataWithRemovedFields } = await ctx.services.entities.update(viewerOf(ctx), input);
      return { entityUuid: entity.uuid, changes, dataWithRemovedFields };
    },
  }),
  deleteEntity: t.withAuth(MANAGERS).field({
    type: 'UUID',
    description: 'Deletes an entity and all its entries (permission `entities`); returns its uuid.',
    errors: { types: [NotFoundError, EntitiesDisabledError] },
    args: { input: t.arg({ type: DeleteEntityInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.entities.remove(input.uuid),
  }),
  reorderEntities: t.withAuth(MANAGERS).prismaField({
    type: ['Entity'],
    description: 'Sets positions: the listed entities first (1..n), the others after them; returns all entities in order.',
    errors: { types: [ValidationError, NotFoundError, EntitiesDisabledError] },
    args: { input: t.arg({ type: ReorderEntitiesInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      await ctx.services.entities.reorder(input.uuids);
      return ctx.db.entity.findMany({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        orderBy: [{ position: { sort: 'asc', nulls: 'last' } }, { uuid: 'asc' }],
      });
    },
  }),
}));
