import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_POSITION } from '../../../src/modules/entities/domain/entity-input.js';
import { backends } from '../../helpers/backends.js';
import { CREATE_DATA, createEntity, openWorld, outcomeOf, run, type World } from '../../helpers/content.js';

// Positions are bounded far below the column's limit, so the next default position always fits.
describe.each(backends)('entity data position overflow on %s', (_name, open) => {
  let w: World;
  beforeAll(async () => {
    w = await openWorld(open);
  });
  afterAll(() => w.backend.close());

  test('after an entry at the largest accepted position, the next default-positioned create still works; beyond it is refused', async () => {
    const entity = await createEntity(w, [{ type: 'text', key: 'name', label: 'Name' }]);
    const beyond = await run(w, CREATE_DATA, { input: { entity: entity.name, title: 'beyond', position: MAX_POSITION + 1 } }, w.editor);
    expect(outcomeOf(beyond)).toBe('ValidationError');
    const top = await run(w, CREATE_DATA, { input: { entity: entity.name, title: 'top', position: MAX_POSITION } }, w.editor);
    expect(outcomeOf(top)).toBe('ok');
    const next = await run(w, CREATE_DATA, { input: { entity: entity.name, title: 'next' } }, w.editor);
    expect(outcomeOf(next), JSON.stringify(next)).toBe('ok');
    expect(next.data?.createEntityData?.data?.position).toBe(MAX_POSITION + 1);
  });
});
