import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends, untilSomeoneWaitsForALock } from '../../helpers/backends.js';
import { CREATE_DATA, UPDATE_DATA, createEntity, openWorld, run, type World } from '../../helpers/content.js';

const DELETE_DATA = `mutation($input: DeleteEntityDataInput!) { deleteEntityData(input: $input) { __typename ... on Error { code message } } }`;

// Simultaneous updates (and a delete) of one entry take turns on the entity's lock and are validated under it: each succeeds (or gets
// its typed refusal, NotFoundError once the entry is gone), never a server fault. PostgreSQL only (PGlite runs one transaction at a time).
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

  test('an entry deleted while it is updated: each update succeeds or answers NotFoundError, never a fault', async () => {
    const entity = await createEntity(w, [{ type: 'text', key: 'name', label: 'Name' }]);
    const outcomes = new Set<string>();
    for (let round = 0; round < 15; round++) {
      const created = await run(w, CREATE_DATA, { input: { entity: entity.name, title: `row ${round}`, data: { name: 'v' } } }, w.editor);
      const uuid = created.data.createEntityData.data.uuid as string;
      const [deleted, ...updates] = await Promise.all([
        run(w, DELETE_DATA, { input: { uuid } }, w.editor),
        ...Array.from({ length: 4 }, (_, i) => run(w, UPDATE_DATA, { input: { uuid, data: { name: `v${i}` } } }, w.editor)),
      ]);
      expect(deleted.errors).toBeUndefined();
      expect(deleted.data.deleteEntityData.__typename).toBe('MutationDeleteEntityDataSuccess');
      for (const u of updates) outcomes.add(u.errors?.[0]?.message ?? u.data.updateEntityData.__typename);
      expect(await w.db.entityData.count({ where: { uuid } })).toBe(0);
    }
    expect([...outcomes].filter((o) => o !== 'MutationUpdateEntityDataSuccess' && o !== 'NotFoundError')).toEqual([]);
  });

  test('an entry deleted after an update read it and before it wrote answers NotFoundError', async () => {
    const entity = await createEntity(w, [{ type: 'text', key: 'name', label: 'Name' }]);
    const created = await run(w, CREATE_DATA, { input: { entity: entity.name, title: 'row', data: { name: 'v' } } }, w.editor);
    const uuid = created.data.createEntityData.data.uuid as string;
    // the deletion has begun (its row lock is held): the update reads the row, then waits to write it until the deletion commits
    const deleter = new pg.Client({ connectionString: w.backend.database.url });
    await deleter.connect();
    try {
      await deleter.query('BEGIN');
      await deleter.query('DELETE FROM phoenix_kit_entity_data WHERE uuid = $1', [uuid]);
      const update = run(w, UPDATE_DATA, { input: { uuid, data: { name: 'w' } } }, w.editor);
      await untilSomeoneWaitsForALock(w.backend);
      await deleter.query('COMMIT');
      const answer = await update;
      expect(answer.errors).toBeUndefined();
      expect(answer.data.updateEntityData).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    } finally {
      await deleter.end();
    }
    expect(await w.db.entityData.count({ where: { uuid } })).toBe(0);
  });
});
