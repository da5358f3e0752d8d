import { afterAll, beforeAll, expect, test } from 'vitest';
import { backends } from '../../helpers/backends.js';
import { createEntity, openWorld, run, type World } from '../../helpers/content.js';

const LIST = `query($entity: String!, $filter: EntityDataFilter) { entityData(entity: $entity, filter: $filter, first: 5) { edges { node { uuid } } } }`;

// A field filter's `in` list is bounded (each value is one condition in the statement).
const [, openPostgres] = backends.find(([name]) => name === 'postgres')!;
let w: World;
let entity: string;
beforeAll(async () => {
  w = await openWorld(openPostgres);
  entity = (await createEntity(w, [{ type: 'number', key: 'price', label: 'Price' }])).name;
});
afterAll(() => w.backend.close());

test('a field filter `in` list of 70,000 values is refused as BAD_USER_INPUT, not an internal error', async () => {
  const values = Array.from({ length: 70_000 }, (_, i) => i);
  const r = await run(w, LIST, { entity, filter: { fields: [{ key: 'price', in: values }] } }, w.alice);
  expect(r.errors?.[0]?.extensions?.code, JSON.stringify(r).slice(0, 300)).toBe('BAD_USER_INPUT');
});
