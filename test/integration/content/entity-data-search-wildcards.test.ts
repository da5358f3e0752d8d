import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../../helpers/backends.js';
import { CREATE_DATA, createEntity, openWorld, run, type World } from '../../helpers/content.js';

const LIST = `query($entity: String!, $filter: EntityDataFilter) { entityData(entity: $entity, filter: $filter, first: 50) { edges { node { title } } } }`;

// `search` and a field's `contains` match `%`, `_` and `\` literally (they are LIKE patterns underneath).
describe.each(backends)('entity data text search on %s', (_name, open) => {
  let w: World;
  let entity: string;
  beforeAll(async () => {
    w = await openWorld(open);
    entity = (await createEntity(w, [{ type: 'text', key: 'label', label: 'Label' }])).name;
    for (const title of ['50% off', '500 off', 'a_b', 'axb']) {
      await run(w, CREATE_DATA, { input: { entity, title, status: 'published', data: { label: title } } }, w.admin);
    }
  });
  afterAll(() => w.backend.close());

  const titles = async (filter: Record<string, unknown>) => {
    const r = await run(w, LIST, { entity, filter }, w.alice);
    expect(r.errors).toBeUndefined();
    return (r.data.entityData.edges as Array<{ node: { title: string } }>).map((e) => e.node.title).sort();
  };

  test('search matches % and _ literally in titles', async () => {
    expect(await titles({ search: '0%' })).toEqual(['50% off']);
    expect(await titles({ search: 'a_b' })).toEqual(['a_b']);
  });

  test('a field `contains` matches % and _ literally', async () => {
    expect(await titles({ fields: [{ key: 'label', contains: '0%' }] })).toEqual(['50% off']);
    expect(await titles({ fields: [{ key: 'label', contains: 'a_b' }] })).toEqual(['a_b']);
  });
});
