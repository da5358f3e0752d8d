import { randomUUID } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { graphql } from '../gql/index.js';
import type { EntityFieldInput } from '../gql/graphql.js';
import { createTestApp, grantRole, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';

const CreateEntity = graphql(`
  mutation EntitiesCreate($input: CreateEntityInput!) {
    createEntity(input: $input) {
      __typename
      ... on MutationCreateEntitySuccess {
        data {
          uuid name displayName displayNamePlural description status position createdByUuid settings fieldsDefinition
          fields { type key label required default options placeholder maxLength minLength rows min max step format allowEmpty allowMultiple maxEntries maxFileSize accept toolbar }
        }
      }
      ... on ValidationError { code issues { path message } }
      ... on EntityLimitReachedError { code limit }
      ... on Error { code message }
    }
  }
`);

const UpdateEntity = graphql(`
  mutation EntitiesUpdate($input: UpdateEntityInput!) {
    updateEntity(input: $input) {
      __typename
      ... on MutationUpdateEntitySuccess {
        data { entity { uuid name status displayName fields { key type required } } addedFields removedFields retypedFields tightenedFields dataWithRemovedFields }
      }
      ... on ValidationError { issues { path message } }
      ... on Error { code }
    }
  }
`);

const DeleteEntity = graphql(`
  mutation EntitiesDelete($input: DeleteEntityInput!) {
    deleteEntity(input: $input) {
      __typename
      ... on MutationDeleteEntitySuccess { data }
      ... on Error { code }
    }
  }
`);

const ReorderEntities = graphql(`
  mutation EntitiesReorder($input: ReorderEntitiesInput!) {
    reorderEntities(input: $input) {
      __typename
      ... on MutationReorderEntitiesSuccess { data { uuid position } }
      ... on Error { code }
    }
  }
`);

const ListEntities = graphql(`
  query EntitiesList($status: String) {
    entities(first: 100, status: $status) { edges { node { uuid name status position } } }
  }
`);

const OneEntity = graphql(`
  query EntitiesOne($name: String!) {
    entity(name: $name) { uuid name status }
  }
`);

const CreateData = graphql(`
  mutation EntitiesCreateData($input: CreateEntityDataInput!) {
    createEntityData(input: $input) {
      __typename
      ... on MutationCreateEntityDataSuccess { data { uuid data } }
      ... on ValidationError { issues { path message } }
      ... on Error { code }
    }
  }
`);

const UpdateData = graphql(`
  mutation EntitiesUpdateData($input: UpdateEntityDataInput!) {
    updateEntityData(input: $input) {
      __typename
      ... on MutationUpdateEntityDataSuccess { data { uuid data staleFields validationIssues { path message } } }
      ... on ValidationError { issues { path message } }
      ... on Error { code }
    }
  }
`);

const ReadData = graphql(`
  query EntitiesReadData($uuid: UUID!) {
    entityDataItem(uuid: $uuid) { uuid data staleFields validationIssues { path message } }
  }
`);

const ALL_TYPES: EntityFieldInput[] = [
  { type: 'text', key: 'title', label: 'Title', required: true },
  { type: 'textarea', key: 'summary', label: 'Summary', rows: 6 },
  { type: 'email', key: 'contact', label: 'Contact' },
  { type: 'url', key: 'homepage', label: 'Homepage' },
  { type: 'rich_text', key: 'body', label: 'Body', toolbar: 'full' },
  { type: 'number', key: 'price', label: 'Price', min: 0, max: 1000, default: 10 },
  { type: 'boolean', key: 'featured', label: 'Featured' },
  { type: 'date', key: 'released', label: 'Released', format: 'd.m.Y' },
  { type: 'select', key: 'color', label: 'Color', options: ['red', 'green'], allowEmpty: false, default: 'red' },
  { type: 'radio', key: 'size', label: 'Size', options: ['s', 'm', 'l'] },
  { type: 'checkbox', key: 'tags', label: 'Tags', options: ['new', 'sale'] },
  { type: 'file', key: 'manuals', label: 'Manuals', accept: ['.pdf'], maxEntries: 2 },
  { type: 'image', key: 'photo', label: 'Photo' },
];

const entityInput = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  displayName: 'Product',
  displayNamePlural: 'Products',
  ...extra,
});
const uniqueName = (prefix = 'e') => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

/** `ok` for a success payload, else the top-level error code or the typed error's name. */
function outcomeOf(result: ExecutionResult<unknown>): string {
  const code = result.errors?.[0]?.extensions?.code;
  if (typeof code === 'string') return code;
  const payload = Object.values((result.data ?? {}) as Record<string, { __typename?: string } | null>)[0];
  return payload?.__typename?.endsWith('Success') ? 'ok' : String(payload?.__typename);
}

async function addEditorRole(db: Db, userUuid: string): Promise<void> {
  const role = await db.role.upsert({ where: { name: 'Editors' }, create: { name: 'Editors' }, update: {} });
  await db.rolePermission.upsert({
    where: { roleUuid_moduleKey: { roleUuid: role.uuid, moduleKey: 'entities' } },
    create: { roleUuid: role.uuid, moduleKey: 'entities' },
    update: {},
  });
  await grantRole(db, userUuid, 'Editors');
}

describe.each(backends)('entities on %s', (_name, open) => {
  let backend: Backend;
  let app: App;
  let db: Db;
  let owner: TestUser;
  let admin: TestUser;
  let user: TestUser;
  let editor: TestUser;

  const enable = async (on: boolean) => app.services.settings.update({ key: 'entities_enabled', value: String(on) });

  beforeAll(async () => {
    backend = await open();
    app = createTestApp(backend);
    db = backend.database.prisma;
    owner = await signUp(app);
    admin = await signUp(app);
    user = await signUp(app);
    editor = await signUp(app);
    await grantRole(db, admin.uuid, 'Admin');
    await addEditorRole(db, editor.uuid);
    await enable(true);
  });
  afterAll(() => backend.close());

  test('an entity with all 13 field types is created as a draft with type defaults filled in', async () => {
    const entityName = uniqueName('product');
    const r = await execute(app, CreateEntity, { input: { ...entityInput(entityName), description: ' Things we sell ', fields: ALL_TYPES } }, admin.headers);
    const created = r.data?.createEntity;
    expect(created?.__typename, JSON.stringify(r)).toBe('MutationCreateEntitySuccess');
    if (created?.__typename !== 'MutationCreateEntitySuccess') return;
    expect(created.data).toMatchObject({ name: entityName, status: 'draft', description: 'Things we sell', createdByUuid: admin.uuid, settings: null });
    const fields = Object.fromEntries(created.data.fields.map((f) => [f.key, f]));
    expect(created.data.fields.map((f) => f.type)).toEqual(ALL_TYPES.map((f) => f.type));
    expect(fields.title).toMatchObject({ required: true, maxLength: 255, placeholder: '' });
    expect(fields.summary).toMatchObject({ rows: 6, maxLength: 5000 });
    expect(fields.contact).toMatchObject({ placeholder: 'user@example.com' });
    expect(fields.body).toMatchObject({ toolbar: 'full' });
    expect(fields.price).toMatchObject({ min: 0, max: 1000, step: 1, default: 10 });
    expect(fields.featured).toMatchObject({ default: false });
    expect(fields.released).toMatchObject({ format: 'd.m.Y' });
    expect(fields.color).toMatchObject({ options: ['red', 'green'], allowEmpty: false, default: 'red', placeholder: 'Select an option...' });
    expect(fields.tags).toMatchObject({ allowMultiple: true });
    expect(fields.manuals).toMatchObject({ accept: ['.pdf'], maxEntries: 2, maxFileSize: 15_728_640 });
    // stored in the original's shape: snake_case props beside type/key/label
    expect((created.data.fieldsDefinition as Array<Record<string, unknown>>)[1]).toMatchObject({ type: 'textarea', key: 'summary', rows: 6, max_length: 5000, validation: {} });
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['name too short', { name: 'a' }, 'name'],
    ['name with capitals', { name: 'Product' }, 'name'],
    ['name with a dash', { name: 'my-product' }, 'name'],
    ['name of 51 characters', { name: 'a'.repeat(51) }, 'name'],
    ['one-letter display name', { displayName: 'P' }, 'displayName'],
    ['plural over 100 characters', { displayNamePlural: 'P'.repeat(101) }, 'displayNamePlural'],
    ['description over 500 characters', { description: 'd'.repeat(501) }, 'description'],
    ['unknown status', { status: 'live' }, 'status'],
    ['settings that are not an object', { settings: ['x'] }, 'settings'],
    ['unknown field type', { fields: [{ type: 'relation', key: 'r', label: 'R' }] }, 'fields.0.type'],
    ['select without options', { fields: [{ type: 'select', key: 's', label: 'S' }] }, 'fields.0.options'],
    ['duplicate field keys', { fields: [{ type: 'text', key: 'a', label: 'A' }, { type: 'number', key: 'a', label: 'B' }] }, 'fields.1.key'],
    ['prop of another type', { fields: [{ type: 'text', key: 'a', label: 'A', rows: 3 }] }, 'fields.0.rows'],
    ['default outside the options', { fields: [{ type: 'radio', key: 'a', label: 'A', options: ['x'], default: 'y' }] }, 'fields.0.default'],
  ])('bad input (%s) gives ValidationError and writes nothing', async (_name, overrides, path) => {
    const before = await db.entity.count();
    const r = await execute(app, CreateEntity, { input: { ...entityInput(uniqueName()), ...overrides } as never }, admin.headers);
    expect(r.data?.createEntity).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    if (r.data?.createEntity.__typename === 'ValidationError') expect(r.data.createEntity.issues.map((i) => i.path)).toContain(path);
    expect(await db.entity.count()).toBe(before);
  });

  test('names are unique', async () => {
    const entityName = uniqueName();
    await execute(app, CreateEntity, { input: entityInput(entityName) }, admin.headers);
    const again = await execute(app, CreateEntity, { input: entityInput(entityName) }, owner.headers);
    expect(again.data?.createEntity).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'name', message: 'has already been taken' }] });
    expect(await db.entity.count({ where: { name: entityName } })).toBe(1);
  });

  test('authorization matrix: anonymous and plain users are refused; Admin, Owner and holders of `entities` may', async () => {
    const callers = { anonymous: {}, user: user.headers, editor: editor.headers, admin: admin.headers, owner: owner.headers };
    const expected = { anonymous: 'UNAUTHENTICATED', user: 'FORBIDDEN', editor: 'ok', admin: 'ok', owner: 'ok' };
    for (const [who, headers] of Object.entries(callers)) {
      const target = await execute(app, CreateEntity, { input: entityInput(uniqueName('target')) }, admin.headers);
      const uuid = target.data?.createEntity.__typename === 'MutationCreateEntitySuccess' ? target.data.createEntity.data.uuid : '';
      const outcomes = [
        await execute(app, CreateEntity, { input: entityInput(uniqueName(who)) }, headers),
        await execute(app, UpdateEntity, { input: { uuid, displayName: `By ${who}` } }, headers),
        await execute(app, ReorderEntities, { input: { uuids: [uuid] } }, headers),
        await execute(app, DeleteEntity, { input: { uuid } }, headers),
      ];
      expect(outcomes.map(outcomeOf), who).toEqual(outcomes.map(() => expected[who as keyof typeof expected]));
      const remaining = await db.entity.count({ where: { uuid } });
      expect(remaining).toBe(expected[who as keyof typeof expected] === 'ok' ? 0 : 1);
    }
  });

  test('readers see published entities only; managers see every status', async () => {
    const draft = uniqueName('draft');
    const live = uniqueName('live');
    await execute(app, CreateEntity, { input: entityInput(draft) }, admin.headers);
    await execute(app, CreateEntity, { input: entityInput(live, { status: 'published' }) }, admin.headers);
    const names = async (headers: Record<string, string>, status?: string) =>
      ((await execute(app, ListEntities, { status }, headers)).data?.entities.edges ?? []).map((e) => e.node.name);
    expect(await names(user.headers)).toContain(live);
    expect(await names(user.headers)).not.toContain(draft);
    expect(await names(user.headers, 'draft')).toEqual([]);
    expect(await names(admin.headers)).toEqual(expect.arrayContaining([draft, live]));
    expect(await names(admin.headers, 'draft')).toContain(draft);
    expect((await execute(app, OneEntity, { name: draft }, user.headers)).data?.entity).toBeNull();
    expect((await execute(app, OneEntity, { name: draft }, editor.headers)).data?.entity).toMatchObject({ name: draft, status: 'draft' });
    expect((await execute(app, ListEntities, {})).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // a status no entity can have is the caller's mistake, for readers and managers alike
    for (const headers of [user.headers, admin.headers]) {
      const bogus = await execute(app, ListEntities, { status: 'bogus' }, headers);
      expect(bogus.errors?.[0]).toMatchObject({
        message: 'status must be one of: draft, published, archived',
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
  });

  test('reorderEntities puts the listed entities first and keeps the rest in order', async () => {
    const a = await execute(app, CreateEntity, { input: entityInput(uniqueName('a')) }, admin.headers);
    const b = await execute(app, CreateEntity, { input: entityInput(uniqueName('b')) }, admin.headers);
    const uuidOf = (r: typeof a) => (r.data?.createEntity.__typename === 'MutationCreateEntitySuccess' ? r.data.createEntity.data.uuid : '');
    const r = await execute(app, ReorderEntities, { input: { uuids: [uuidOf(b), uuidOf(a)] } }, admin.headers);
    expect(r.data?.reorderEntities.__typename).toBe('MutationReorderEntitiesSuccess');
    if (r.data?.reorderEntities.__typename !== 'MutationReorderEntitiesSuccess') return;
    const order = r.data.reorderEntities.data;
    expect(order.slice(0, 2)).toEqual([{ uuid: uuidOf(b), position: 1 }, { uuid: uuidOf(a), position: 2 }]);
    expect(order.map((e) => e.position)).toEqual(order.map((_e, i) => i + 1));
    const unknown = await execute(app, ReorderEntities, { input: { uuids: [randomUUID()] } }, admin.headers);
    expect(unknown.data?.reorderEntities).toMatchObject({ __typename: 'NotFoundError' });
  });

  test('changing fields reports removed fields, keeps stored data, and re-validates it on the next write', async () => {
    const entityName = uniqueName('change');
    const created = await execute(
      app,
      CreateEntity,
      {
        input: entityInput(entityName, {
          fields: [
            { type: 'text', key: 'name', label: 'Name', required: true },
            { type: 'text', key: 'code', label: 'Code' },
            { type: 'number', key: 'stock', label: 'Stock' },
          ],
        }),
      },
      admin.headers,
    );
    const entityUuid = created.data?.createEntity.__typename === 'MutationCreateEntitySuccess' ? created.data.createEntity.data.uuid : '';
    const row = await execute(app, CreateData, { input: { entity: entityName, title: 'Widget', data: { name: 'Widget', code: 'W-1', stock: 3 } } }, admin.headers);
    const other = await execute(app, CreateData, { input: { entity: entityName, title: 'Gadget', data: { name: 'Gadget', stock: 1 } } }, admin.headers);
    const rowUuid = row.data?.createEntityData.__typename === 'MutationCreateEntityDataSuccess' ? row.data.createEntityData.data.uuid : '';
    expect(other.data?.createEntityData.__typename).toBe('MutationCreateEntityDataSuccess');

    // remove `code`, turn `stock` into a select, make `name` shorter than the stored value
    const updated = await execute(
      app,
      UpdateEntity,
      {
        input: {
          uuid: entityUuid,
          fields: [
            { type: 'text', key: 'name', label: 'Name', required: true, maxLength: 3 },
            { type: 'select', key: 'stock', label: 'Stock', options: ['low', 'high'] },
            { type: 'date', key: 'since', label: 'Since' },
          ],
        },
      },
      admin.headers,
    );
    expect(updated.data?.updateEntity).toMatchObject({
      __typename: 'MutationUpdateEntitySuccess',
      data: { addedFields: ['since'], removedFields: ['code'], retypedFields: ['stock'], tightenedFields: ['name'], dataWithRemovedFields: 1 },
    });
    const stored = await db.entityData.findUniqueOrThrow({ where: { uuid: rowUuid } });
    expect(stored.data).toEqual({ name: 'Widget', code: 'W-1', stock: 3 });

    const read = await execute(app, ReadData, { uuid: rowUuid }, admin.headers);
    expect(read.data?.entityDataItem).toMatchObject({
      staleFields: ['code'],
      validationIssues: [
        { path: 'data.name', message: 'must be at most 3 characters' },
        { path: 'data.stock', message: 'must be one of: low, high' },
      ],
    });

    // the next write is checked against the new definition, unchanged values included
    const partial = await execute(app, UpdateData, { input: { uuid: rowUuid, data: { name: 'Wid' } } }, admin.headers);
    expect(partial.data?.updateEntityData).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'data.stock' }] });
    const revived = await execute(app, UpdateData, { input: { uuid: rowUuid, data: { code: 'W-2' } } }, admin.headers);
    expect(revived.data?.updateEntityData).toMatchObject({ __typename: 'ValidationError', issues: expect.arrayContaining([{ path: 'data.code', message: 'is not a field of this entity' }]) });
    expect((await db.entityData.findUniqueOrThrow({ where: { uuid: rowUuid } })).data).toEqual(stored.data);

    const fixed = await execute(app, UpdateData, { input: { uuid: rowUuid, data: { name: 'Wid', stock: 'low' } } }, admin.headers);
    expect(fixed.data?.updateEntityData).toMatchObject({
      __typename: 'MutationUpdateEntityDataSuccess',
      data: { data: { name: 'Wid', stock: 'low', code: 'W-1' }, staleFields: ['code'], validationIssues: [] },
    });
    const cleared = await execute(app, UpdateData, { input: { uuid: rowUuid, data: { code: null } } }, admin.headers);
    expect(cleared.data?.updateEntityData).toMatchObject({ data: { data: { name: 'Wid', stock: 'low' }, staleFields: [] } });
  });

  test('updateEntity validates like create and refuses a taken name; unknown uuids are NotFoundError', async () => {
    const a = uniqueName('a');
    const b = uniqueName('b');
    await execute(app, CreateEntity, { input: entityInput(a) }, admin.headers);
    const created = await execute(app, CreateEntity, { input: entityInput(b) }, admin.headers);
    const uuid = created.data?.createEntity.__typename === 'MutationCreateEntitySuccess' ? created.data.createEntity.data.uuid : '';
    const before = await db.entity.findUniqueOrThrow({ where: { uuid } });
    const taken = await execute(app, UpdateEntity, { input: { uuid, name: a } }, admin.headers);
    expect(taken.data?.updateEntity).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'name', message: 'has already been taken' }] });
    const bad = await execute(app, UpdateEntity, { input: { uuid, status: 'gone', fields: [{ type: 'nope', key: 'k', label: 'K' }] } }, admin.headers);
    expect(bad.data?.updateEntity).toMatchObject({ __typename: 'ValidationError' });
    expect(await db.entity.findUniqueOrThrow({ where: { uuid } })).toEqual(before);
    const renamed = await execute(app, UpdateEntity, { input: { uuid, name: `${b}_x`, status: 'published' } }, admin.headers);
    expect(renamed.data?.updateEntity).toMatchObject({ data: { entity: { name: `${b}_x`, status: 'published' }, removedFields: [] } });
    const missing = await execute(app, UpdateEntity, { input: { uuid: randomUUID(), displayName: 'Nope' } }, admin.headers);
    expect(missing.data?.updateEntity).toMatchObject({ __typename: 'NotFoundError' });
  });

  test('deleting an entity deletes its data', async () => {
    const entityName = uniqueName('gone');
    const created = await execute(app, CreateEntity, { input: entityInput(entityName) }, admin.headers);
    const uuid = created.data?.createEntity.__typename === 'MutationCreateEntitySuccess' ? created.data.createEntity.data.uuid : '';
    await execute(app, CreateData, { input: { entity: entityName, title: 'One' } }, admin.headers);
    expect(await db.entityData.count({ where: { entityUuid: uuid } })).toBe(1);
    const r = await execute(app, DeleteEntity, { input: { uuid } }, admin.headers);
    expect(r.data?.deleteEntity).toEqual({ __typename: 'MutationDeleteEntitySuccess', data: uuid });
    expect(await db.entityData.count({ where: { entityUuid: uuid } })).toBe(0);
    const again = await execute(app, DeleteEntity, { input: { uuid } }, admin.headers);
    expect(again.data?.deleteEntity).toMatchObject({ __typename: 'NotFoundError' });
  });

  test('entities_max_per_user: 20 simultaneous creations never exceed the limit', async () => {
    const creator = await signUp(app);
    await grantRole(db, creator.uuid, 'Admin');
    await app.services.settings.update({ key: 'entities_max_per_user', value: '5' });
    try {
      await execute(app, CreateEntity, { input: entityInput(uniqueName('first')) }, creator.headers);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_v, i) => execute(app, CreateEntity, { input: entityInput(uniqueName(`race${i}`)) }, creator.headers)),
      );
      const kinds = results.map((r) => r.data?.createEntity.__typename);
      expect(kinds.filter((k) => k === 'MutationCreateEntitySuccess')).toHaveLength(4);
      expect(kinds.filter((k) => k === 'EntityLimitReachedError')).toHaveLength(16);
      expect(results.find((r) => r.data?.createEntity.__typename === 'EntityLimitReachedError')?.data?.createEntity).toMatchObject({ limit: 5 });
      expect(await db.entity.count({ where: { createdByUuid: creator.uuid } })).toBe(5);
      // the limit is per creator: another manager still creates
      const another = await execute(app, CreateEntity, { input: entityInput(uniqueName('another')) }, editor.headers);
      expect(another.data?.createEntity.__typename).toBe('MutationCreateEntitySuccess');
    } finally {
      await app.services.settings.update({ key: 'entities_max_per_user', value: '100' });
    }
  });

  test('entities_enabled off: writes get EntitiesDisabledError and change nothing; queries say MODULE_DISABLED', async () => {
    await enable(false);
    try {
      const before = await db.entity.count();
      const r = await execute(app, CreateEntity, { input: entityInput(uniqueName('off')) }, admin.headers);
      expect(r.data?.createEntity).toMatchObject({ __typename: 'EntitiesDisabledError', code: 'ENTITIES_DISABLED' });
      expect(await db.entity.count()).toBe(before);
      const list = await execute(app, ListEntities, {}, admin.headers);
      expect(list.errors?.[0]?.extensions?.code).toBe('MODULE_DISABLED');
    } finally {
      await enable(true);
    }
  });
});
