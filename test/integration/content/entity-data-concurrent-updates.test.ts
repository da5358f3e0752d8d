import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../../helpers/backends.js';
import { CREATE_DATA, UPDATE_DATA, createEntity, openWorld, run, type World } from '../../helpers/content.js';

// Simultaneous updates of one entry take turns on the entity's lock and are validated under it: each succeeds (or gets
// its typed refusal), never a server fault. PostgreSQL only (PGlite runs one transaction at a time).
describe.each(backends.filter(([name]) => name === 'postgres'))('simultaneous updates of one entry, on %s', (_name, open) => {
  let w: World;
  beforeAll(async () => {
    w = await openWorld(open);
  });
  afterAll(() => w.backend.close());

  test('20 writers of one entry all succeed, and the entry holds one of their values', async () => {
    const entity = await createEntity(w, [
      { type: 'text', key: 'name', label: 'Name' },
      { type: 'number', key: 'count', label: 'Count' },
    ]);
    const created = await run(w, CREATE_DATA, { input: { entity: entity.name, title: 'row', data: { name: 'v', count: 0 } } }, w.editor);
    const uuid = created.data.createEntityData.data.uuid as string;
    const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
    const answers = await Promise.all(values.map((name, i) => run(w, UPDATE_DATA, { input: { uuid, data: { name, count: i } } }, w.editor)));
    expect(answers.map((a) => a.errors?.[0]?.message ?? a.data.updateEntityData.__typename)).toEqual(values.map(() => 'MutationUpdateEntityDataSuccess'));
    const row = await w.db.entityData.findUniqueOrThrow({ where: { uuid } });
    const stored = row.data as { name: string; count: number };
    expect(values).toContain(stored.name);
    expect(stored.count).toBe(values.indexOf(stored.name)); // one writer's values whole, not a mix
  });
});
