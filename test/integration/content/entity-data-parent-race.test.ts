import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends, untilSomeoneWaitsForALock } from '../../helpers/backends.js';
import { CREATE_DATA, createEntity, openWorld, outcomeOf, run, type World } from '../../helpers/content.js';

// A child created while its parent is being deleted: either the deletion went first (the parent is gone) or it waits
// for the child; never a foreign-key failure answered as a server fault. PostgreSQL only (PGlite runs one transaction
// at a time).
describe.each(backends.filter(([name]) => name === 'postgres'))('an entry created under a parent being deleted, on %s', (_name, open) => {
  let w: World;
  beforeAll(async () => {
    w = await openWorld(open);
  });
  afterAll(() => w.backend.close());

  test('is refused as a ValidationError on parentUuid once the deletion commits', async () => {
    const entity = await createEntity(w, [{ type: 'text', key: 'name', label: 'Name' }]);
    const parent = await run(w, CREATE_DATA, { input: { entity: entity.name, title: 'parent' } }, w.editor);
    const parentUuid = parent.data.createEntityData.data.uuid as string;
    // the deletion has begun (its row lock is held) and commits once the create waits on it
    const deleter = new pg.Client({ connectionString: w.backend.database.url });
    await deleter.connect();
    try {
      await deleter.query('BEGIN');
      await deleter.query('DELETE FROM phoenix_kit_entity_data WHERE uuid = $1', [parentUuid]);
      const child = run(w, CREATE_DATA, { input: { entity: entity.name, title: 'child', parentUuid } }, w.editor);
      await untilSomeoneWaitsForALock(w.backend);
      await deleter.query('COMMIT');
      const answer = await child;
      expect(answer.errors).toBeUndefined();
      expect(outcomeOf(answer)).toBe('ValidationError');
      expect(answer.data.createEntityData.issues).toEqual([{ path: 'parentUuid', message: 'must be an entry of the same entity' }]);
    } finally {
      await deleter.end();
    }
    expect(await w.db.entityData.count({ where: { entityUuid: entity.uuid } })).toBe(0);
  });
});
