import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../../helpers/backends.js';
import { CREATE_DATA, openWorld, run, type World } from '../../helpers/content.js';

// A role or entity named by a string no column can hold (a NUL, an unpaired surrogate) names nothing: callers without
// the right are FORBIDDEN as for any role, others get the mutation's typed answer; never a server fault.
describe.each(backends)('names no column can hold, on %s', (_name, open) => {
  let w: World;
  beforeAll(async () => {
    w = await openWorld(open);
  });
  afterAll(() => w.backend.close());

  const DELETE_ROLE = `mutation($input: DeleteRoleInput!) { deleteRole(input: $input) {
    __typename ... on ValidationError { issues { path message } } } }`;
  const ASSIGN_ROLE = `mutation($input: AssignRoleInput!) { assignRole(input: $input) {
    __typename ... on ValidationError { issues { path message } } } }`;
  const REORDER = `mutation($input: ReorderEntityDataInput!) { reorderEntityData(input: $input) { __typename ... on Error { code } } }`;
  const refusal = { __typename: 'ValidationError', issues: [{ path: 'roleName', message: expect.stringMatching(/cannot be stored/) }] };

  test.each([['a NUL', 'x\u0000'], ['an unpaired surrogate', '\ud800x']])('a role named with %s: FORBIDDEN for a plain user, a ValidationError for an admin', async (_label, roleName) => {
    const plain = await run(w, DELETE_ROLE, { input: { roleName } }, w.alice);
    expect(plain.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await run(w, DELETE_ROLE, { input: { roleName } }, w.admin)).data?.deleteRole).toMatchObject(refusal);
    expect((await run(w, ASSIGN_ROLE, { input: { roleName, userUuid: w.alice.uuid } }, w.admin)).data?.assignRole).toMatchObject(refusal);
  });

  test('an entity named with a NUL is not found by createEntityData or reorderEntityData', async () => {
    const created = await run(w, CREATE_DATA, { input: { entity: 'x\u0000', title: 't' } }, w.editor);
    expect(created.errors).toBeUndefined();
    expect(created.data.createEntityData).toMatchObject({ __typename: 'NotFoundError' });
    const reordered = await run(w, REORDER, { input: { entity: 'x\u0000', uuids: [] } }, w.editor);
    expect(reordered.errors).toBeUndefined();
    expect(reordered.data.reorderEntityData).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });
});
