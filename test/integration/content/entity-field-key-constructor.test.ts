import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../../helpers/backends.js';
import { CREATE_DATA, createEntity, openWorld, outcomeOf, run, type World } from '../../helpers/content.js';

// A field may be named like an Object.prototype member (`constructor`): only own keys of the data count.
describe.each(backends)('a field keyed "constructor" on %s', (_name, open) => {
  let w: World;
  beforeAll(async () => {
    w = await openWorld(open);
  });
  afterAll(() => w.backend.close());

  test('an optional text field "constructor" may be left out, and its default is applied', async () => {
    const entity = await createEntity(w, [
      { type: 'text', key: 'constructor', label: 'Builder', default: 'acme' },
      { type: 'text', key: 'name', label: 'Name' },
    ]);
    const r = await run(w, CREATE_DATA, { input: { entity: entity.name, title: 'House', data: { name: 'x' } } }, w.admin);
    expect(outcomeOf(r), JSON.stringify(r)).toBe('ok');
    expect(r.data.createEntityData.data.data).toEqual({ name: 'x', constructor: 'acme' });
  });
});
