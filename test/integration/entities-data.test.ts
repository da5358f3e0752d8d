import { randomUUID } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { graphql } from '../gql/index.js';
import type { EntityDataFilter, EntityDataOrder, EntityFieldInput } from '../gql/graphql.js';
import { createTestApp, grantRole, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { makeFile as makeContentFile, type FileOptions } from '../helpers/content.js';
import { execute } from '../helpers/execute.js';

const CreateEntity = graphql(`
  mutation EntitiesDataCreateEntity($input: CreateEntityInput!) {
    createEntity(input: $input) {
      __typename
      ... on MutationCreateEntitySuccess { data { uuid name } }
      ... on Error { code message }
    }
  }
`);

const CreateData = graphql(`
  mutation EntitiesDataCreate($input: CreateEntityDataInput!) {
    createEntityData(input: $input) {
      __typename
      ... on MutationCreateEntityDataSuccess { data { uuid title slug status data position createdByUuid parentUuid } }
      ... on ValidationError { issues { path message } }
      ... on Error { code }
    }
  }
`);

const UpdateData = graphql(`
  mutation EntitiesDataUpdate($input: UpdateEntityDataInput!) {
    updateEntityData(input: $input) {
      __typename
      ... on MutationUpdateEntityDataSuccess { data { uuid title slug status data position parentUuid } }
      ... on ValidationError { issues { path message } }
      ... on Error { code }
    }
  }
`);

const DeleteData = graphql(`
  mutation EntitiesDataDelete($input: DeleteEntityDataInput!) {
    deleteEntityData(input: $input) {
      __typename
      ... on MutationDeleteEntityDataSuccess { data }
      ... on Error { code }
    }
  }
`);

const ReorderData = graphql(`
  mutation EntitiesDataReorder($input: ReorderEntityDataInput!) {
    reorderEntityData(input: $input) {
      __typename
      ... on MutationReorderEntityDataSuccess { data { uuid position } }
      ... on Error { code }
    }
  }
`);

const ListData = graphql(`
  query EntitiesDataList($entity: String!, $filter: EntityDataFilter, $order: EntityDataOrder, $first: Int, $after: String) {
    entityData(entity: $entity, filter: $filter, order: $order, first: $first, after: $after) {
      edges { node { uuid title status } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const ListWithFiles = graphql(`
  query EntitiesDataListFiles($entity: String!, $first: Int!) {
    entityData(entity: $entity, first: $first) {
      edges {
        node {
          uuid
          title
          entity { name }
          fileFields { key type fileUuids files { uuid originalFileName mimeType url instances { variantName } } }
        }
      }
    }
  }
`);

const ListWithParents = graphql(`
  query EntitiesDataListParents($entity: String!, $first: Int!) {
    entityData(entity: $entity, first: $first) {
      edges { node { title parentUuid parent { title status entity { name } } } }
    }
  }
`);

const RetypeEntity = graphql(`
  mutation EntitiesDataRetype($input: UpdateEntityInput!) {
    updateEntity(input: $input) {
      __typename
      ... on MutationUpdateEntitySuccess { data { retypedFields addedFields } }
      ... on ValidationError { issues { path message } }
      ... on Error { code }
    }
  }
`);

const ReadItem = graphql(`
  query EntitiesDataItem($uuid: UUID!) {
    entityDataItem(uuid: $uuid) { uuid title fileFields { key files { uuid originalFileName } } }
  }
`);

const FIELDS: EntityFieldInput[] = [
  { type: 'text', key: 'name', label: 'Name', required: true },
  { type: 'textarea', key: 'summary', label: 'Summary' },
  { type: 'email', key: 'contact', label: 'Contact' },
  { type: 'url', key: 'homepage', label: 'Homepage' },
  { type: 'rich_text', key: 'body', label: 'Body' },
  { type: 'number', key: 'price', label: 'Price', min: 0, max: 1000, default: 10 },
  { type: 'boolean', key: 'featured', label: 'Featured' },
  { type: 'date', key: 'released', label: 'Released' },
  { type: 'select', key: 'color', label: 'Color', options: ['red', 'green'], default: 'red' },
  { type: 'radio', key: 'size', label: 'Size', options: ['s', 'm', 'l'] },
  { type: 'checkbox', key: 'tags', label: 'Tags', options: ['new', 'sale'] },
  { type: 'file', key: 'manuals', label: 'Manuals', accept: ['.pdf'], maxEntries: 2 },
  { type: 'image', key: 'photo', label: 'Photo' },
];

const uniqueName = (prefix = 'e') => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

const PDF: FileOptions = { ext: 'pdf', mimeType: 'application/pdf', fileType: 'document' };
const makeFile = (db: Db, userUuid: string, o: FileOptions = {}) => makeContentFile(db, userUuid, { ...PDF, ...o });
const PNG: FileOptions = { ext: 'png', mimeType: 'image/png', fileType: 'image' };

function outcomeOf(result: ExecutionResult<unknown>): string {
  const code = result.errors?.[0]?.extensions?.code;
  if (typeof code === 'string') return code;
  const payload = Object.values((result.data ?? {}) as Record<string, { __typename?: string } | null>)[0];
  return payload?.__typename?.endsWith('Success') ? 'ok' : String(payload?.__typename);
}

describe.each(backends)('entity data on %s', (_name, open) => {
  let backend: Backend;
  let app: App;
  let db: Db;
  let owner: TestUser;
  let admin: TestUser;
  let user: TestUser;
  let editor: TestUser;
  let catalog: string;

  async function createEntity(fields: EntityFieldInput[], status = 'published'): Promise<{ uuid: string; name: string }> {
    const entityName = uniqueName();
    const r = await execute(app, CreateEntity, { input: { name: entityName, displayName: 'Things', displayNamePlural: 'Things', status, fields } }, admin.headers);
    if (r.data?.createEntity.__typename !== 'MutationCreateEntitySuccess') throw new Error(JSON.stringify(r));
    return r.data.createEntity.data;
  }

  async function createRow(input: Record<string, unknown>, headers = admin.headers) {
    const r = await execute(app, CreateData, { input: input as never }, headers);
    if (r.data?.createEntityData.__typename !== 'MutationCreateEntityDataSuccess') throw new Error(JSON.stringify(r));
    return r.data.createEntityData.data;
  }

  beforeAll(async () => {
    backend = await open();
    app = createTestApp(backend);
    db = backend.database.prisma;
    owner = await signUp(app);
    admin = await signUp(app);
    user = await signUp(app);
    editor = await signUp(app);
    await grantRole(db, admin.uuid, 'Admin');
    const role = await db.role.create({ data: { name: 'Editors', permissions: { create: { moduleKey: 'entities' } } } });
    await db.roleAssignment.create({ data: { userUuid: editor.uuid, roleUuid: role.uuid } });
    await app.services.settings.update({ key: 'entities_enabled', value: 'true' });
    catalog = (await createEntity(FIELDS)).name;
  });
  afterAll(() => backend.close());

  describe('each field type through GraphQL', () => {
    let pdf: string;
    let png: string;
    beforeAll(async () => {
      pdf = (await makeFile(db, admin.uuid)).uuid;
      png = (await makeFile(db, admin.uuid, PNG)).uuid;
    });

    type Case = [type: string, key: string, valid: () => unknown, stored: () => unknown, invalid: () => unknown, path: string, message: string];
    const cases: Case[] = [
      ['text', 'summary', () => 'a\nb', () => 'a\nb', () => 42, 'data.summary', 'must be a string'],
      ['textarea', 'summary', () => 'x'.repeat(5000), () => 'x'.repeat(5000), () => 'x'.repeat(5001), 'data.summary', 'at most 5000'],
      ['email', 'contact', () => ' ann@example.com ', () => 'ann@example.com', () => 'ann@example', 'data.contact', 'valid email'],
      ['url', 'homepage', () => 'https://example.com/x', () => 'https://example.com/x', () => 'ftp://example.com', 'data.homepage', 'http'],
      ['rich_text', 'body', () => '<p onclick="steal()">Hi<script>alert(1)</script></p>', () => '<p>Hi</p>', () => ['<p>'], 'data.body', 'must be a string'],
      ['number', 'price', () => '12.5', () => 12.5, () => 1001, 'data.price', 'at most 1000'],
      ['boolean', 'featured', () => 'true', () => true, () => 'yes', 'data.featured', 'true or false'],
      ['date', 'released', () => '2024-02-29', () => '2024-02-29', () => '2023-02-29', 'data.released', 'YYYY-MM-DD'],
      ['select', 'color', () => 'green', () => 'green', () => 'blue', 'data.color', 'one of: red, green'],
      ['radio', 'size', () => 'm', () => 'm', () => 'xl', 'data.size', 'one of: s, m, l'],
      ['checkbox', 'tags', () => ['new', 'sale'], () => ['new', 'sale'], () => ['new', 'old'], 'data.tags.1', 'one of: new, sale'],
      ['file', 'manuals', () => [pdf], () => [pdf], () => ['manual.pdf'], 'data.manuals.0', 'file uuid'],
      ['image', 'photo', () => png, () => png, () => pdf, 'data.photo', 'must be an image'],
    ];

    test.each(cases)('%s: a valid value is stored normalised', async (_type, key, valid, stored) => {
      const row = await createRow({ entity: catalog, title: 'Valid', data: { name: 'N', [key]: valid() } });
      expect((row.data as Record<string, unknown>)[key]).toEqual(stored());
    });

    test.each(cases)('%s: an invalid value gives ValidationError and writes nothing', async (_type, key, _valid, _stored, invalid, path, message) => {
      const before = await db.entityData.count();
      const r = await execute(app, CreateData, { input: { entity: catalog, title: 'Invalid', data: { name: 'N', [key]: invalid() } } }, admin.headers);
      expect(r.data?.createEntityData).toMatchObject({ __typename: 'ValidationError', issues: [{ path, message: expect.stringContaining(message) }] });
      expect(await db.entityData.count()).toBe(before);
    });

    test('required fields, defaults and unknown keys', async () => {
      const missing = await execute(app, CreateData, { input: { entity: catalog, title: 'No name', data: { name: '   ' } } }, admin.headers);
      expect(missing.data?.createEntityData).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'data.name', message: 'is required' }] });
      const unknown = await execute(app, CreateData, { input: { entity: catalog, title: 'Extra', data: { name: 'N', weight: 3 } } }, admin.headers);
      expect(unknown.data?.createEntityData).toMatchObject({ issues: [{ path: 'data.weight', message: 'is not a field of this entity' }] });
      const row = await createRow({ entity: catalog, title: 'Defaults', data: { name: 'N' } });
      expect(row.data).toEqual({ name: 'N', price: 10, featured: false, color: 'red' });
      expect(row).toMatchObject({ status: 'draft', createdByUuid: admin.uuid });
    });
  });

  test('slugs follow the rule and are unique per entity', async () => {
    const other = (await createEntity([{ type: 'text', key: 'name', label: 'Name', required: true }])).name;
    const first = await createRow({ entity: catalog, title: 'First', slug: 'spring-sale-2024', data: { name: 'N' } });
    expect(first.slug).toBe('spring-sale-2024');
    const before = await db.entityData.count();
    for (const slug of ['Spring-Sale', 'spring--sale', '-spring', 'spring_sale', 'x'.repeat(256)]) {
      const r = await execute(app, CreateData, { input: { entity: catalog, title: 'Bad slug', slug, data: { name: 'N' } } }, admin.headers);
      expect(r.data?.createEntityData, slug).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'slug' }] });
    }
    const taken = await execute(app, CreateData, { input: { entity: catalog, title: 'Dup', slug: 'spring-sale-2024', data: { name: 'N' } } }, admin.headers);
    expect(taken.data?.createEntityData).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'slug', message: 'has already been taken in this entity' }] });
    expect(await db.entityData.count()).toBe(before);
    await createRow({ entity: other, title: 'Same slug, other entity', slug: 'spring-sale-2024', data: { name: 'N' } });
    const second = await createRow({ entity: catalog, title: 'Second', data: { name: 'N' } });
    const renamed = await execute(app, UpdateData, { input: { uuid: second.uuid, slug: 'spring-sale-2024' } }, admin.headers);
    expect(renamed.data?.updateEntityData).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'slug' }] });
    const ownSlug = await execute(app, UpdateData, { input: { uuid: first.uuid, slug: 'spring-sale-2024', title: 'Renamed' } }, admin.headers);
    expect(ownSlug.data?.updateEntityData).toMatchObject({ data: { slug: 'spring-sale-2024', title: 'Renamed' } });
    const cleared = await execute(app, UpdateData, { input: { uuid: first.uuid, slug: '' } }, admin.headers);
    expect(cleared.data?.updateEntityData).toMatchObject({ data: { slug: null } });
  });

  test('file fields take files the author may read, within the field constraints, resolved to File objects', async () => {
    const adminPdf = await makeFile(db, admin.uuid);
    const editorPdf = await makeFile(db, editor.uuid);
    const editorPng = await makeFile(db, editor.uuid, PNG);
    const bigPdf = await makeFile(db, editor.uuid, { size: 16 * 1024 * 1024 });
    const zip = await makeFile(db, editor.uuid, { ext: 'zip', mimeType: 'application/zip', fileType: 'archive' });
    const trashed = await makeFile(db, editor.uuid, { status: 'trashed' });
    const refused: Array<[unknown, string, string]> = [
      [{ manuals: [adminPdf.uuid] }, 'data.manuals.0', 'is not a file you can use'],
      [{ manuals: [randomUUID()] }, 'data.manuals.0', 'is not a file you can use'],
      [{ manuals: [bigPdf.uuid] }, 'data.manuals.0', 'larger than 15728640'],
      [{ manuals: [zip.uuid] }, 'data.manuals.0', 'must be one of: .pdf'],
      [{ manuals: [trashed.uuid] }, 'data.manuals.0', 'in the trash'],
      [{ manuals: [editorPdf.uuid, zip.uuid, adminPdf.uuid] }, 'data.manuals', 'at most 2 files'],
      [{ photo: editorPdf.uuid }, 'data.photo', 'must be an image'],
    ];
    const before = await db.entityData.count();
    for (const [data, path, message] of refused) {
      const r = await execute(app, CreateData, { input: { entity: catalog, title: 'Files', data: { name: 'N', ...(data as object) } } }, editor.headers);
      expect(r.data?.createEntityData, JSON.stringify(data)).toMatchObject({ __typename: 'ValidationError', issues: [{ path, message: expect.stringContaining(message) }] });
    }
    expect(await db.entityData.count()).toBe(before);

    const mine = await createRow({ entity: catalog, title: 'Mine', data: { name: 'N', manuals: [editorPdf.uuid], photo: editorPng.uuid } }, editor.headers);
    // admins may use anyone's files
    const byAdmin = await createRow({ entity: catalog, title: 'Admin', data: { name: 'N', manuals: [editorPdf.uuid, adminPdf.uuid] } });
    const read = await execute(app, ReadItem, { uuid: mine.uuid }, user.headers);
    expect(read.data?.entityDataItem).toBeNull(); // a draft: readers do not see it
    const asEditor = await execute(app, ReadItem, { uuid: mine.uuid }, editor.headers);
    expect(asEditor.data?.entityDataItem?.fileFields).toEqual([
      { key: 'manuals', files: [{ uuid: editorPdf.uuid, originalFileName: editorPdf.originalFileName }] },
      { key: 'photo', files: [{ uuid: editorPng.uuid, originalFileName: editorPng.originalFileName }] },
    ]);
    // a file its owner trashes is left out for readers of the entry until it is restored
    await db.file.update({ where: { uuid: editorPng.uuid }, data: { status: 'trashed' } });
    const photoOf = async () => (await execute(app, ReadItem, { uuid: mine.uuid }, editor.headers)).data?.entityDataItem?.fileFields[1];
    expect(await photoOf()).toEqual({ key: 'photo', files: [] });
    await db.file.update({ where: { uuid: editorPng.uuid }, data: { status: 'active' } });
    expect((await photoOf())?.files).toHaveLength(1);
    // an editor keeps a file someone else referenced when changing other values; adding one is checked
    const keep = await execute(app, UpdateData, { input: { uuid: byAdmin.uuid, data: { summary: 'edited' } } }, editor.headers);
    expect(keep.data?.updateEntityData.__typename).toBe('MutationUpdateEntityDataSuccess');
    const add = await execute(app, UpdateData, { input: { uuid: mine.uuid, data: { manuals: [editorPdf.uuid, adminPdf.uuid] } } }, editor.headers);
    expect(add.data?.updateEntityData).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'data.manuals.1' }] });
  });

  test("a key becoming a file field is refused to an editor while entries hold another user's files under it", async () => {
    const theirs = await makeFile(db, user.uuid);
    const own = await makeFile(db, editor.uuid);
    const text = (key: string): EntityFieldInput => ({ type: 'text', key, label: key });
    const file = (key: string): EntityFieldInput => ({ type: 'file', key, label: key });
    const entity = await createEntity([text('name'), text('doc'), text('mine')]);
    // uuids typed into text fields were never checked as file references
    const row = await createRow(
      { entity: entity.name, title: 'Typed', status: 'published', data: { name: 'n', doc: theirs.uuid, mine: own.uuid } },
      editor.headers,
    );
    const definition = async () => (await db.entity.findUniqueOrThrow({ where: { uuid: entity.uuid } })).fieldsDefinition;
    const unchanged = await definition();
    for (const fields of [
      [text('name'), file('doc'), file('mine')], // retyped
      [text('name'), file('mine'), file('doc')], // ... in another place
    ]) {
      const refused = await execute(app, RetypeEntity, { input: { uuid: entity.uuid, fields } }, editor.headers);
      const at = fields.findIndex((f) => f.key === 'doc');
      expect(refused.data?.updateEntity).toEqual({
        __typename: 'ValidationError',
        code: 'VALIDATION_FAILED',
        issues: [{ path: `fields.${at}.type`, message: "stored entries hold another user's files under this key" }],
      });
      expect(await definition()).toEqual(unchanged);
    }
    // removed, then added back as a file field: the values are still there, so the same refusal
    expect((await execute(app, RetypeEntity, { input: { uuid: entity.uuid, fields: [text('name'), text('mine')] } }, editor.headers)).data?.updateEntity.__typename).toBe('MutationUpdateEntitySuccess');
    const readded = await execute(app, RetypeEntity, { input: { uuid: entity.uuid, fields: [text('name'), text('mine'), file('doc')] } }, editor.headers);
    expect(readded.data?.updateEntity).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'fields.2.type' }] });
    // the editor's own files may become references; readers then get them, and only them
    const ownRetyped = await execute(app, RetypeEntity, { input: { uuid: entity.uuid, fields: [text('name'), file('mine'), text('doc')] } }, editor.headers);
    expect(ownRetyped.data?.updateEntity).toMatchObject({ data: { retypedFields: ['mine'] } });
    expect((await execute(app, ReadItem, { uuid: row.uuid }, user.headers)).data?.entityDataItem?.fileFields).toEqual([
      { key: 'mine', files: [{ uuid: own.uuid, originalFileName: own.originalFileName }] },
    ]);
    // admins may reference anyone's files, so they may retype
    const byAdmin = await execute(app, RetypeEntity, { input: { uuid: entity.uuid, fields: [text('name'), file('mine'), file('doc')] } }, admin.headers);
    expect(byAdmin.data?.updateEntity).toMatchObject({ data: { retypedFields: ['doc'] } });
  });

  test('listing 100 entries with file fields resolved takes a constant number of SQL statements', async () => {
    const gallery = await createEntity([
      { type: 'file', key: 'docs', label: 'Docs', accept: [] },
      { type: 'image', key: 'cover', label: 'Cover' },
    ]);
    const files = await Promise.all(Array.from({ length: 100 }, () => makeFile(db, admin.uuid)));
    const images = await Promise.all(Array.from({ length: 100 }, () => makeFile(db, admin.uuid, PNG)));
    await db.entityData.createMany({
      data: files.map((f, i) => ({
        entityUuid: gallery.uuid,
        title: `Entry ${String(i).padStart(3, '0')}`,
        status: 'published',
        position: i + 1,
        data: { docs: [f.uuid, files[(i + 1) % 100]!.uuid], cover: images[i]!.uuid },
      })),
    });
    const statementsFor = async (first: number) => {
      const start = backend.queries.length;
      const r = await execute(app, ListWithFiles, { entity: gallery.name, first }, user.headers);
      return { statements: backend.queries.length - start, result: r };
    };
    await statementsFor(1); // warm the settings cache
    const ten = await statementsFor(10);
    const hundred = await statementsFor(100);
    expect(hundred.result.errors).toBeUndefined();
    const edges = hundred.result.data?.entityData.edges ?? [];
    expect(edges).toHaveLength(100);
    expect(edges[7]?.node.fileFields).toEqual([
      {
        key: 'docs',
        type: 'file',
        fileUuids: [files[7]!.uuid, files[8]!.uuid],
        files: [files[7], files[8]].map((f) => ({ uuid: f!.uuid, originalFileName: f!.originalFileName, mimeType: 'application/pdf', url: expect.stringContaining(f!.uuid), instances: [] })),
      },
      { key: 'cover', type: 'image', fileUuids: [images[7]!.uuid], files: [expect.objectContaining({ uuid: images[7]!.uuid, mimeType: 'image/png' })] },
    ]);
    expect(hundred.statements).toBe(ten.statements);
    expect(hundred.statements).toBeLessThanOrEqual(4);
  });

  describe('filtering and ordering', () => {
    let books: string;
    const rows: Record<string, string> = {};
    beforeAll(async () => {
      books = (
        await createEntity([
          { type: 'text', key: 'author', label: 'Author' },
          { type: 'select', key: 'genre', label: 'Genre', options: ['novel', 'poetry', 'essay'] },
          { type: 'number', key: 'pages', label: 'Pages' },
          { type: 'date', key: 'issued', label: 'Issued' },
          { type: 'checkbox', key: 'shelves', label: 'Shelves', options: ['classic', 'modern', 'gift'] },
          { type: 'boolean', key: 'signed', label: 'Signed' },
        ])
      ).name;
      const specs: Array<[string, string, Record<string, unknown>]> = [
        ['Dune', 'published', { author: 'Frank Herbert', genre: 'novel', pages: 412, issued: '1965-08-01', shelves: ['classic'] }],
        ['Ariel', 'published', { author: 'Sylvia Plath', genre: 'poetry', pages: 96, issued: '1965-03-11', shelves: ['classic', 'gift'] }],
        ['Walden', 'published', { author: 'Henry Thoreau', genre: 'essay', pages: 352, issued: '1854-08-09' }],
        ['Neuromancer', 'draft', { author: 'William Gibson', genre: 'novel', pages: 271, issued: '1984-07-01', shelves: ['modern'] }],
        ['Beloved', 'archived', { author: 'Toni Morrison', genre: 'novel', pages: 324, issued: '1987-09-02', signed: true }],
      ];
      for (const [title, status, data] of specs) rows[title] = (await createRow({ entity: books, title, status, data })).uuid;
    });

    const titles = async (filter: EntityDataFilter | null, order: EntityDataOrder | null = null, headers = admin.headers) => {
      const r = await execute(app, ListData, { entity: books, filter, order, first: 50 }, headers);
      expect(r.errors).toBeUndefined();
      return (r.data?.entityData.edges ?? []).map((e) => e.node.title);
    };

    test.each<[string, EntityDataFilter, string[]]>([
      ['status', { status: ['published'] }, ['Dune', 'Ariel', 'Walden']],
      ['several statuses', { status: ['draft', 'archived'] }, ['Neuromancer', 'Beloved']],
      ['select equals', { fields: [{ key: 'genre', equals: 'novel' }] }, ['Dune', 'Neuromancer', 'Beloved']],
      ['in', { fields: [{ key: 'genre', in: ['poetry', 'essay'] }] }, ['Ariel', 'Walden']],
      ['text contains, any case', { fields: [{ key: 'author', contains: 'HENRY T' }] }, ['Walden']],
      ['number range', { fields: [{ key: 'pages', gt: 100, lte: 352 }] }, ['Walden', 'Neuromancer', 'Beloved']],
      ['date range', { fields: [{ key: 'issued', gte: '1965-01-01', lt: '1985-01-01' }] }, ['Dune', 'Ariel', 'Neuromancer']],
      ['checkbox holds', { fields: [{ key: 'shelves', contains: 'classic' }] }, ['Dune', 'Ariel']],
      ['checkbox equals one option', { fields: [{ key: 'shelves', equals: 'gift' }] }, ['Ariel']],
      ['boolean', { fields: [{ key: 'signed', equals: true }] }, ['Beloved']],
      ['conditions combine', { status: ['published'], fields: [{ key: 'genre', equals: 'novel' }, { key: 'pages', gt: 400 }] }, ['Dune']],
      ['title search', { search: 'NEURO' }, ['Neuromancer']],
    ])('filter by %s', async (_name, filter, expected) => {
      expect(await titles(filter)).toEqual(expected);
    });

    test('a filter on a key the entity does not define is refused', async () => {
      const r = await execute(app, ListData, { entity: books, filter: { fields: [{ key: 'isbn', equals: '1' }] } }, admin.headers);
      expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    test('order by position (default), title and dates, both ways; pages follow the order', async () => {
      expect(await titles(null)).toEqual(['Dune', 'Ariel', 'Walden', 'Neuromancer', 'Beloved']);
      expect(await titles(null, { by: 'TITLE' })).toEqual(['Ariel', 'Beloved', 'Dune', 'Neuromancer', 'Walden']);
      expect(await titles(null, { by: 'TITLE', direction: 'DESC' })).toEqual(['Walden', 'Neuromancer', 'Dune', 'Beloved', 'Ariel']);
      expect(await titles(null, { by: 'DATE_CREATED', direction: 'DESC' })).toEqual(['Beloved', 'Neuromancer', 'Walden', 'Ariel', 'Dune']);
      await execute(app, UpdateData, { input: { uuid: rows.Ariel!, title: 'Ariel' } }, admin.headers);
      expect((await titles(null, { by: 'DATE_UPDATED', direction: 'DESC' }))[0]).toBe('Ariel');
      const page1 = await execute(app, ListData, { entity: books, order: { by: 'TITLE' }, first: 2 }, admin.headers);
      const cursor = page1.data?.entityData.pageInfo.endCursor;
      expect(page1.data?.entityData.pageInfo.hasNextPage).toBe(true);
      const page2 = await execute(app, ListData, { entity: books, order: { by: 'TITLE' }, first: 2, after: cursor }, admin.headers);
      expect(page2.data?.entityData.edges.map((e) => e.node.title)).toEqual(['Dune', 'Neuromancer']);
    });

    test('reorderEntityData sets positions 1..n', async () => {
      const r = await execute(app, ReorderData, { input: { entity: books, uuids: [rows.Walden!, rows.Dune!] } }, admin.headers);
      expect(r.data?.reorderEntityData.__typename).toBe('MutationReorderEntityDataSuccess');
      expect(await titles(null)).toEqual(['Walden', 'Dune', 'Ariel', 'Neuromancer', 'Beloved']);
      const twice = await execute(app, ReorderData, { input: { entity: books, uuids: [rows.Dune!, rows.Dune!] } }, admin.headers);
      expect(twice.data?.reorderEntityData.__typename).toBe('ValidationError');
    });

    test('readers see published entries only, and nothing of draft entities', async () => {
      expect(await titles(null, { by: 'TITLE' }, user.headers)).toEqual(['Ariel', 'Dune', 'Walden']);
      expect(await titles({ status: ['draft'] }, null, user.headers)).toEqual([]);
      const draftEntity = (await createEntity([{ type: 'text', key: 'a', label: 'A' }], 'draft')).name;
      await createRow({ entity: draftEntity, title: 'Hidden', status: 'published' });
      const r = await execute(app, ListData, { entity: draftEntity, first: 10 }, user.headers);
      expect(r.data?.entityData.edges).toEqual([]);
      const anonymous = await execute(app, ListData, { entity: books, first: 10 });
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  test('a parent is shown only where the viewer may see it (a draft parent is null for readers), in the same statement', async () => {
    const tree = (await createEntity([{ type: 'text', key: 'note', label: 'Note' }])).name;
    const draftRoot = await createRow({ entity: tree, title: 'Draft root' });
    const openRoot = await createRow({ entity: tree, title: 'Open root', status: 'published' });
    await createRow({ entity: tree, title: 'Under draft', status: 'published', parentUuid: draftRoot.uuid });
    await createRow({ entity: tree, title: 'Under open', status: 'published', parentUuid: openRoot.uuid });
    const parents = async (headers: Record<string, string>) => {
      const r = await execute(app, ListWithParents, { entity: tree, first: 10 }, headers);
      expect(r.errors).toBeUndefined();
      return Object.fromEntries(r.data!.entityData.edges.map((e) => [e.node.title, [e.node.parentUuid, e.node.parent?.title ?? null]]));
    };
    expect(await parents(user.headers)).toEqual({
      'Open root': [null, null],
      'Under draft': [draftRoot.uuid, null],
      'Under open': [openRoot.uuid, 'Open root'],
    });
    expect(await parents(admin.headers)).toEqual({
      'Draft root': [null, null],
      'Open root': [null, null],
      'Under draft': [draftRoot.uuid, 'Draft root'],
      'Under open': [openRoot.uuid, 'Open root'],
    });
    const start = backend.queries.length;
    await execute(app, ListWithParents, { entity: tree, first: 10 }, admin.headers);
    const withParents = backend.queries.length - start;
    const again = backend.queries.length;
    await execute(app, ListData, { entity: tree, first: 10 }, admin.headers);
    expect(withParents).toBe(backend.queries.length - again);
  });

  test('updates merge data, keep positions, and check parents', async () => {
    const tree = (await createEntity([{ type: 'text', key: 'note', label: 'Note' }, { type: 'number', key: 'n', label: 'N' }])).name;
    const root = await createRow({ entity: tree, title: 'Root', data: { note: 'a', n: 1 } });
    const child = await createRow({ entity: tree, title: 'Child', parentUuid: root.uuid });
    const grandchild = await createRow({ entity: tree, title: 'Grandchild', parentUuid: child.uuid });
    expect([root.position, child.position, grandchild.position]).toEqual([1, 2, 3]);
    const merged = await execute(app, UpdateData, { input: { uuid: root.uuid, data: { n: 2 }, status: 'published', metadata: { source: 'import' } } }, admin.headers);
    expect(merged.data?.updateEntityData).toMatchObject({ data: { data: { note: 'a', n: 2 }, status: 'published', position: 1 } });
    const before = await db.entityData.findUniqueOrThrow({ where: { uuid: root.uuid } });
    const cycle = await execute(app, UpdateData, { input: { uuid: root.uuid, parentUuid: grandchild.uuid } }, admin.headers);
    expect(cycle.data?.updateEntityData).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'parentUuid' }] });
    const self = await execute(app, UpdateData, { input: { uuid: root.uuid, parentUuid: root.uuid } }, admin.headers);
    expect(self.data?.updateEntityData).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'parentUuid' }] });
    const foreign = await createRow({ entity: catalog, title: 'Elsewhere', data: { name: 'N' } });
    const crossEntity = await execute(app, UpdateData, { input: { uuid: root.uuid, parentUuid: foreign.uuid } }, admin.headers);
    expect(crossEntity.data?.updateEntityData).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'parentUuid' }] });
    const badTitle = await execute(app, UpdateData, { input: { uuid: root.uuid, title: '', status: 'gone' } }, admin.headers);
    expect(badTitle.data?.updateEntityData).toMatchObject({ __typename: 'ValidationError' });
    expect(await db.entityData.findUniqueOrThrow({ where: { uuid: root.uuid } })).toEqual(before);
    const missing = await execute(app, UpdateData, { input: { uuid: randomUUID(), title: 'x' } }, admin.headers);
    expect(missing.data?.updateEntityData).toMatchObject({ __typename: 'NotFoundError' });
    const noEntity = await execute(app, CreateData, { input: { entity: 'no_such_entity', title: 'x' } }, admin.headers);
    expect(noEntity.data?.createEntityData).toMatchObject({ __typename: 'NotFoundError' });
  });

  test('authorization matrix: anonymous and plain users are refused; Admin, Owner and holders of `entities` may', async () => {
    const callers = { anonymous: {}, user: user.headers, editor: editor.headers, admin: admin.headers, owner: owner.headers };
    const expected = { anonymous: 'UNAUTHENTICATED', user: 'FORBIDDEN', editor: 'ok', admin: 'ok', owner: 'ok' };
    for (const [who, headers] of Object.entries(callers)) {
      const target = await createRow({ entity: catalog, title: 'Target', data: { name: 'N' } });
      const outcomes = [
        await execute(app, CreateData, { input: { entity: catalog, title: who, data: { name: who } } }, headers),
        await execute(app, UpdateData, { input: { uuid: target.uuid, title: `by ${who}` } }, headers),
        await execute(app, ReorderData, { input: { entity: catalog, uuids: [target.uuid] } }, headers),
        await execute(app, DeleteData, { input: { uuid: target.uuid } }, headers),
      ];
      expect(outcomes.map(outcomeOf), who).toEqual(outcomes.map(() => expected[who as keyof typeof expected]));
      expect(await db.entityData.count({ where: { uuid: target.uuid } })).toBe(expected[who as keyof typeof expected] === 'ok' ? 0 : 1);
    }
    const gone = await execute(app, DeleteData, { input: { uuid: randomUUID() } }, admin.headers);
    expect(gone.data?.deleteEntityData).toMatchObject({ __typename: 'NotFoundError' });
  });
});
