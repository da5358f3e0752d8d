import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { DEFAULT_DIMENSIONS } from '../../src/modules/dimensions/domain/default-dimensions.js';
import { graphql } from '../gql/index.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';


const CreateDocument = graphql(`
  mutation DimensionsCreate($input: CreateStorageDimensionInput!) {
    createStorageDimension(input: $input) {
      __typename
      ... on MutationCreateStorageDimensionSuccess {
        data { uuid name appliesTo width height quality format enabled order maintainAspectRatio alternativeFormats }
      }
      ... on ValidationError { message code issues { path message } }
    }
  }
`);
const UpdateDocument = graphql(`
  mutation DimensionsUpdate($input: UpdateStorageDimensionInput!) {
    updateStorageDimension(input: $input) {
      __typename
      ... on MutationUpdateStorageDimensionSuccess {
        data { uuid name appliesTo width height quality format enabled order maintainAspectRatio alternativeFormats }
      }
      ... on ValidationError { code issues { path message } }
      ... on NotFoundError { code }
    }
  }
`);
const DeleteDocument = graphql(`
  mutation DimensionsDelete($input: DeleteStorageDimensionInput!) {
    deleteStorageDimension(input: $input) {
      __typename
      ... on MutationDeleteStorageDimensionSuccess { data }
      ... on NotFoundError { code }
    }
  }
`);
const ResetDocument = graphql(`
  mutation DimensionsReset {
    resetStorageDimensions { name appliesTo width height quality format enabled order maintainAspectRatio alternativeFormats }
  }
`);
const ListDocument = graphql(`
  query DimensionsList {
    storageDimensions(first: 100) { edges { node { name width quality } } }
  }
`);
const RegenerateDocument = graphql(`
  mutation DimensionsRegenerate($input: RegenerateVariantsInput!) {
    regenerateVariants(input: $input) {
      __typename
      ... on MutationRegenerateVariantsSuccess { data { queued } }
      ... on NotFoundError { code }
    }
  }
`);


describe.each(backends)('storage dimensions on %s', (_name, open) => {
  let backend: Backend;
  let app: App;
  let owner: TestUser;
  let member: TestUser;
  beforeAll(async () => {
    backend = await open();
    app = createTestApp(backend);
    owner = await signUp(app);
    member = await signUp(app);
  });
  afterAll(() => backend.close());

  const rows = () =>
    backend.database.prisma.storageDimension.findMany({
      orderBy: { name: 'asc' },
      select: { name: true, appliesTo: true, width: true, height: true, quality: true, format: true, enabled: true, order: true, maintainAspectRatio: true, alternativeFormats: true },
    });

  test('the 8 defaults are seeded and listed', async () => {
    const result = await execute(app, ListDocument, {}, member.headers);
    expect(result.data?.storageDimensions.edges.map((e) => e.node.name)).toEqual(DEFAULT_DIMENSIONS.map((d) => d.name));
  });

  test('create: a valid preset is stored with defaults for what was left out', async () => {
    const result = await execute(
      app,
      CreateDocument,
      { input: { name: 'hero', appliesTo: 'image', width: 1600, height: 900, maintainAspectRatio: false, format: 'JPG', alternativeFormats: ['webp', 'avif', ''] } },
      owner.headers,
    );
    expect(result.data?.createStorageDimension).toEqual({
      __typename: 'MutationCreateStorageDimensionSuccess',
      data: {
        uuid: expect.any(String),
        name: 'hero',
        appliesTo: 'image',
        width: 1600,
        height: 900,
        quality: 85,
        format: 'jpg',
        enabled: true,
        order: 0,
        maintainAspectRatio: false,
        alternativeFormats: ['webp', 'avif'],
      },
    });
    const video = await execute(app, CreateDocument, { input: { name: 'preview', appliesTo: 'video', width: 480 } }, owner.headers);
    expect(video.data?.createStorageDimension).toMatchObject({ data: { quality: 28, format: null, height: null } });
  });

  test.each([
    ['bad name and missing width', { name: 'Bad Name', appliesTo: 'image' }, ['name', 'width']],
    ['crop without height', { name: 'crop', appliesTo: 'image', width: 100, maintainAspectRatio: false }, ['height']],
    ['video CRF out of range', { name: 'clip', appliesTo: 'video', width: 640, quality: 60, format: 'mp4' }, ['quality']],
    ['image format on video only', { name: 'x', appliesTo: 'image', width: 10, format: 'mp4' }, ['format']],
    ['alternatives on a video', { name: 'clip', appliesTo: 'video', width: 640, format: 'mp4', alternativeFormats: ['webp'] }, ['alternativeFormats']],
    ['alternative repeating the primary', { name: 'x', appliesTo: 'image', width: 10, format: 'webp', alternativeFormats: ['webp'] }, ['alternativeFormats']],
    ['a taken name', { name: 'thumbnail', appliesTo: 'image', width: 10 }, ['name']],
  ])('create refuses %s with a ValidationError and writes nothing', async (_label, input, paths) => {
    const before = await rows();
    const result = await execute(app, CreateDocument, { input }, owner.headers);
    const payload = result.data?.createStorageDimension;
    expect(payload?.__typename).toBe('ValidationError');
    expect((payload as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(paths);
    expect(await rows()).toEqual(before);
  });

  test('update changes only what it is given; bad input and unknown uuids change nothing', async () => {
    const thumb = await backend.database.prisma.storageDimension.findUniqueOrThrow({ where: { name: 'thumbnail' } });
    const ok = await execute(app, UpdateDocument, { input: { uuid: thumb.uuid, width: 200, alternativeFormats: ['webp'] } }, owner.headers);
    expect(ok.data?.updateStorageDimension).toMatchObject({
      __typename: 'MutationUpdateStorageDimensionSuccess',
      data: { name: 'thumbnail', width: 200, height: 150, quality: 85, format: 'jpg', alternativeFormats: ['webp'] },
    });
    const before = await rows();
    const bad = await execute(app, UpdateDocument, { input: { uuid: thumb.uuid, quality: 0, name: 'small' } }, owner.headers);
    expect(bad.data?.updateStorageDimension).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ path: 'quality' }],
    });
    const taken = await execute(app, UpdateDocument, { input: { uuid: thumb.uuid, name: 'small' } }, owner.headers);
    expect(taken.data?.updateStorageDimension).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'name', message: 'is already taken' }] });
    const missing = await execute(app, UpdateDocument, { input: { uuid: '01890000-0000-7000-8000-000000000000', width: 5 } }, owner.headers);
    expect(missing.data?.updateStorageDimension).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect(await rows()).toEqual(before);
  });

  test('delete removes the row; deleting again is NotFoundError', async () => {
    const hero = await backend.database.prisma.storageDimension.findUniqueOrThrow({ where: { name: 'hero' } });
    const deleted = await execute(app, DeleteDocument, { input: { uuid: hero.uuid } }, owner.headers);
    expect(deleted.data?.deleteStorageDimension).toEqual({ __typename: 'MutationDeleteStorageDimensionSuccess', data: hero.uuid });
    expect(await backend.database.prisma.storageDimension.count({ where: { name: 'hero' } })).toBe(0);
    const again = await execute(app, DeleteDocument, { input: { uuid: hero.uuid } }, owner.headers);
    expect(again.data?.deleteStorageDimension).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });

  test('reset restores exactly the 8 defaults', async () => {
    const result = await execute(app, ResetDocument, {}, owner.headers);
    const expected = DEFAULT_DIMENSIONS.map((d) => ({ ...d }));
    expect(result.data?.resetStorageDimensions).toEqual(expected);
    expect(await rows()).toEqual([...expected].sort((a, b) => (a.name < b.name ? -1 : 1)));
  });

  test('only admins manage dimensions or regenerate variants', async () => {
    const before = await rows();
    const thumb = await backend.database.prisma.storageDimension.findUniqueOrThrow({ where: { name: 'thumbnail' } });
    const attempts = [
      () => execute(app, CreateDocument, { input: { name: 'x', appliesTo: 'image', width: 10 } }, member.headers),
      () => execute(app, UpdateDocument, { input: { uuid: thumb.uuid, width: 10 } }, member.headers),
      () => execute(app, DeleteDocument, { input: { uuid: thumb.uuid } }, member.headers),
      () => execute(app, ResetDocument, {}, member.headers),
      () => execute(app, RegenerateDocument, { input: {} }, member.headers),
    ];
    for (const attempt of attempts) expect((await attempt()).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await execute(app, ResetDocument, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await rows()).toEqual(before);
  });

  test('regenerateVariants of an unknown file is NotFoundError', async () => {
    const result = await execute(app, RegenerateDocument, { input: { fileUuid: '01890000-0000-7000-8000-000000000000' } }, owner.headers);
    expect(result.data?.regenerateVariants).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });
});
