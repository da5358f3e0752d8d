import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../../helpers/backends.js';
import { createEntity, openWorld, run, type World } from '../../helpers/content.js';

const LIST = `query($entity: String!, $filter: EntityDataFilter) { entityData(entity: $entity, filter: $filter, first: 5) { edges { node { uuid } } } }`;

// Range operands (gt/gte/lt/lte) are numbers or dates; anything else is the caller's error.
describe.each(backends)('entity data range filter operands on %s', (_name, open) => {
  let w: World;
  let entity: string;
  beforeAll(async () => {
    w = await openWorld(open);
    entity = (await createEntity(w, [{ type: 'number', key: 'price', label: 'Price' }])).name;
  });
  afterAll(() => w.backend.close());

  test.each([
    ['a boolean', { gt: true }],
    ['an object', { gte: { a: 1 } }],
    ['a list', { lt: [1] }],
    ['text that is no date', { gt: 'cheap' }],
  ])('a range filter with %s as operand is BAD_USER_INPUT, not an internal error', async (_label, condition) => {
    const r = await run(w, LIST, { entity, filter: { fields: [{ key: 'price', ...condition }] } }, w.alice);
    expect(r.errors?.[0]?.extensions?.code, JSON.stringify(r)).toBe('BAD_USER_INPUT');
  });
});
