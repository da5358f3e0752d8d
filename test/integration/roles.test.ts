import { randomUUID } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import type { AssignRoleInput, DeleteRoleInput, UpdateRoleInput } from '../gql/graphql.js';
import { graphql } from '../gql/index.js';
import { createTestApp, grantRole, signUp, uniqueEmail, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';

const CreateDocument = graphql(`
  mutation RolesCreate($input: CreateRoleInput!) {
    createRole(input: $input) {
      __typename
      ... on MutationCreateRoleSuccess { data { uuid name description isSystemRole permissions } }
      ... on ValidationError { issues { path message } }
      ... on Error { message code }
    }
  }
`);

const UpdateDocument = graphql(`
  mutation RolesUpdate($input: UpdateRoleInput!) {
    updateRole(input: $input) {
      __typename
      ... on MutationUpdateRoleSuccess { data { uuid name description isSystemRole } }
      ... on ValidationError { issues { path message } }
      ... on Error { message code }
    }
  }
`);

const DeleteDocument = graphql(`
  mutation RolesDelete($input: DeleteRoleInput!) {
    deleteRole(input: $input) {
      __typename
      ... on MutationDeleteRoleSuccess { data }
      ... on RoleInUseError { activeAssignments }
      ... on ValidationError { issues { path message } }
      ... on Error { message code }
    }
  }
`);

const SetPermissionsDocument = graphql(`
  mutation RolesSetPermissions($input: SetRolePermissionsInput!) {
    setRolePermissions(input: $input) {
      __typename
      ... on MutationSetRolePermissionsSuccess { data { uuid name permissions } }
      ... on ValidationError { issues { path message } }
      ... on Error { message code }
    }
  }
`);

const AssignDocument = graphql(`
  mutation RolesAssign($input: AssignRoleInput!) {
    assignRole(input: $input) {
      __typename
      ... on MutationAssignRoleSuccess {
        data { uuid isActive assignedAt assignedBy { uuid } user { uuid } role { name } }
      }
      ... on ValidationError { issues { path message } }
      ... on Error { message code }
    }
  }
`);

const RemoveDocument = graphql(`
  mutation RolesRemove($input: RemoveRoleInput!) {
    removeRole(input: $input) {
      __typename
      ... on MutationRemoveRoleSuccess {
        data { uuid isActive assignedAt assignedBy { uuid } user { uuid } role { name } }
      }
      ... on ValidationError { issues { path message } }
      ... on Error { message code }
    }
  }
`);

const BareDocument = graphql(`
  mutation RolesBare(
    $create: CreateRoleInput!
    $update: UpdateRoleInput!
    $permissions: SetRolePermissionsInput!
    $assign: AssignRoleInput!
    $remove: RemoveRoleInput!
  ) {
    createRole(input: $create) { __typename }
    updateRole(input: $update) { __typename }
    setRolePermissions(input: $permissions) { __typename }
    assignRole(input: $assign) { __typename }
    removeRole(input: $remove) { __typename }
  }
`);

const ListDocument = graphql(`
  query RolesList {
    roles(first: 100) { edges { node { uuid name isSystemRole permissions } } }
  }
`);

const MeDocument = graphql(`
  query RolesMe {
    me { uuid roles { name } }
  }
`);

/** Every request comes from this client, so audit rows can be checked for IP and user agent. */
const CLIENT = { 'x-forwarded-for': '203.0.113.7', 'user-agent': 'roles-test/1.0' };

type Result = ExecutionResult<Record<string, unknown>>;

/** What a mutation answered: the union member's typename, or the top-level error code. */
function outcome(result: Result, field: string): string {
  if (result.errors?.length) {
    const code = result.errors[0]?.extensions?.code;
    return typeof code === 'string' ? code : `error: ${result.errors[0]?.message}`;
  }
  const value = result.data?.[field] as { __typename?: string } | null | undefined;
  return value?.__typename ?? 'missing';
}

const success = (field: string) => `Mutation${field[0]?.toUpperCase()}${field.slice(1)}Success`;

/** Every row an admin action could touch, to assert that refused and invalid requests change nothing. */
async function snapshot(db: Db): Promise<string> {
  const [roles, assignments, permissions, audits, users] = await Promise.all([
    db.role.findMany({ orderBy: { uuid: 'asc' } }),
    db.roleAssignment.findMany({ orderBy: { uuid: 'asc' } }),
    db.rolePermission.findMany({ orderBy: { uuid: 'asc' } }),
    db.auditLog.count(),
    db.user.findMany({ orderBy: { uuid: 'asc' }, select: { uuid: true, isActive: true } }),
  ]);
  return JSON.stringify({ roles, assignments, permissions, audits, users });
}

const uniqueRoleName = (label = 'Role') => `${label} ${randomUUID().slice(0, 8)}`;

async function createRoleRow(db: Db, permissions: string[] = []) {
  const role = await db.role.create({ data: { name: uniqueRoleName('Fixture') } });
  if (permissions.length > 0) await db.rolePermission.createMany({ data: permissions.map((moduleKey) => ({ roleUuid: role.uuid, moduleKey })) });
  return role;
}

/** A user row without a session (targets of admin actions need no password). */
async function createUserRow(db: Db, roleName?: string) {
  const user = await db.user.create({ data: { email: uniqueEmail('target'), hashedPassword: 'not-a-hash' } });
  if (roleName) await grantRole(db, user.uuid, roleName);
  return user;
}

async function auditFor(db: Db, action: string, key: string, value: string) {
  return db.auditLog.findMany({ where: { action, metadata: { path: [key], equals: value } }, orderBy: { insertedAt: 'asc' } });
}

async function isActiveOwner(db: Db, userUuid: string): Promise<boolean> {
  const count = await db.roleAssignment.count({
    where: { userUuid, isActive: true, role: { name: 'Owner' }, user: { isActive: true } },
  });
  return count === 1;
}

type Actor = 'anonymous' | 'user' | 'helper' | 'admin' | 'owner';
const ACTORS: Actor[] = ['anonymous', 'user', 'helper', 'admin', 'owner'];

describe.each(backends)('roles and permissions on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  /** Holds a custom role with the `users` key but is no Admin. */
  let helper: TestUser;

  const headers = (who: Actor): Record<string, string> => {
    const user = { anonymous: null, user: member, helper, admin, owner }[who];
    return user ? { ...user.headers, ...CLIENT } : CLIENT;
  };

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    app = createTestApp(backend);
    owner = await signUp(app);
    admin = await signUp(app);
    await grantRole(db, admin.uuid, 'Admin');
    member = await signUp(app);
    helper = await signUp(app);
    const support = await createRoleRow(db, ['users']);
    await grantRole(db, helper.uuid, support.name);
  });
  afterAll(() => backend.close());

  test('roles lists system roles with their permission keys; the Owner holds * in code', async () => {
    const result = await execute(app, ListDocument, {}, headers('user'));
    const roles = new Map(result.data?.roles.edges.map((e) => [e.node.name, e.node]));
    expect(roles.get('Owner')).toMatchObject({ isSystemRole: true, permissions: ['*'] });
    expect(roles.get('Admin')?.permissions).toEqual(expect.arrayContaining(['users', 'settings', 'media']));
    expect(roles.get('User')).toMatchObject({ isSystemRole: true, permissions: [] });
    const anonymous = await execute(app, ListDocument, {}, CLIENT);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  describe('createRole', () => {
    test('creates a custom role, normalising its name and description, and audits it', async () => {
      const suffix = randomUUID().slice(0, 8);
      const name = `Editor ${suffix}`;
      const raw = `  Editor \u00a0\t ${suffix} `;
      const result = await execute(app, CreateDocument, { input: { name: raw, description: '  Writes posts  ' } }, headers('admin'));
      const created = result.data?.createRole;
      expect(created?.__typename).toBe('MutationCreateRoleSuccess');
      if (created?.__typename !== 'MutationCreateRoleSuccess') return;
      expect(created.data).toMatchObject({ name, description: 'Writes posts', isSystemRole: false, permissions: [] });
      expect(await db.role.findUnique({ where: { uuid: created.data.uuid } })).toMatchObject({ name });
      const [audit] = await auditFor(db, 'role_created', 'roleUuid', created.data.uuid);
      expect(audit).toMatchObject({
        adminUserUuid: admin.uuid,
        targetUserUuid: admin.uuid,
        ipAddress: '203.0.113.7',
        userAgent: 'roles-test/1.0',
        metadata: { roleUuid: created.data.uuid, roleName: name, description: 'Writes posts' },
      });
    });

    test.each([
      ['50 astral characters', '😀'.repeat(50)],
      ['Cyrillic', `Модератор ${randomUUID().slice(0, 6)}`],
    ])('accepts %s', async (_label, name) => {
      const result = await execute(app, CreateDocument, { input: { name } }, headers('owner'));
      expect(outcome(result, 'createRole')).toBe('MutationCreateRoleSuccess');
      expect(await db.role.count({ where: { name } })).toBe(1);
    });

    test.each<[string, { name: string; description?: string }, string, string]>([
      ['empty name', { name: '' }, 'name', 'is required'],
      ['blank name', { name: ' \t ' }, 'name', 'is required'],
      ['51 characters', { name: 'a'.repeat(51) }, 'name', 'at most 50'],
      ['51 astral characters', { name: '😀'.repeat(51) }, 'name', 'at most 50'],
      ['NUL in the name', { name: 'Bad\u0000Name' }, 'name', 'invisible'],
      ['zero-width space after Owner', { name: 'Owner\u200b' }, 'name', 'invisible'],
      ['bidi override', { name: '\u202eEditor' }, 'name', 'invisible'],
      ['unpaired surrogate', { name: 'Edi\ud800tor' }, 'name', 'invisible'],
      ['system name in other case', { name: 'owner' }, 'name', 'already been taken'],
      ['system name in capitals', { name: 'ADMIN' }, 'name', 'already been taken'],
      ['501-character description', { name: 'Long description', description: 'd'.repeat(501) }, 'description', 'at most 500'],
      ['NUL in the description', { name: 'Nul description', description: 'a\u0000b' }, 'description', 'control'],
    ])('refuses %s with a ValidationError and changes nothing', async (_label, input, path, message) => {
      const before = await snapshot(db);
      const result = await execute(app, CreateDocument, { input }, headers('owner'));
      const created = result.data?.createRole;
      expect(created?.__typename).toBe('ValidationError');
      if (created?.__typename === 'ValidationError') {
        expect(created.issues).toEqual([{ path, message: expect.stringContaining(message) }]);
      }
      expect(await snapshot(db)).toBe(before);
    });

    test('names are unique ignoring case and Unicode normalisation', async () => {
      const base = `Café ${randomUUID().slice(0, 6)}`;
      const first = await execute(app, CreateDocument, { input: { name: base.normalize('NFD') } }, headers('owner'));
      expect(outcome(first, 'createRole')).toBe('MutationCreateRoleSuccess');
      const before = await snapshot(db);
      for (const again of [base.normalize('NFC'), base.toUpperCase(), `  ${base}  `]) {
        const result = await execute(app, CreateDocument, { input: { name: again } }, headers('owner'));
        expect(outcome(result, 'createRole')).toBe('ValidationError');
      }
      expect(await snapshot(db)).toBe(before);
    });
  });

  describe('updateRole', () => {
    test('renames and describes a custom role, auditing the changes', async () => {
      const role = await createRoleRow(db);
      const name = uniqueRoleName('Renamed');
      const result = await execute(app, UpdateDocument, { input: { roleUuid: role.uuid, name, description: 'New' } }, headers('admin'));
      expect(result.data?.updateRole).toMatchObject({ __typename: 'MutationUpdateRoleSuccess', data: { name, description: 'New' } });
      const [audit] = await auditFor(db, 'role_updated', 'roleUuid', role.uuid);
      expect(audit).toMatchObject({
        adminUserUuid: admin.uuid,
        targetUserUuid: admin.uuid,
        metadata: { changed: true, changes: { name: { from: role.name, to: name }, description: { from: null, to: 'New' } } },
      });
      const cleared = await execute(app, UpdateDocument, { input: { roleUuid: role.uuid, description: null } }, headers('admin'));
      expect(cleared.data?.updateRole).toMatchObject({ data: { name, description: null } });
    });

    test('a system role keeps its name and system flag; its description may change', async () => {
      const userRole = await db.role.findUniqueOrThrow({ where: { name: 'User' } });
      const adminRole = await db.role.findUniqueOrThrow({ where: { name: 'Admin' } });
      const before = await snapshot(db);
      for (const [input, who] of [
        [{ roleUuid: userRole.uuid, name: 'Member' }, 'admin'],
        [{ roleUuid: adminRole.uuid, name: 'Administrators' }, 'owner'],
        [{ roleUuid: adminRole.uuid, isSystemRole: false }, 'owner'],
        [{ roleUuid: userRole.uuid, isSystemRole: false }, 'admin'],
      ] as const) {
        const result = await execute(app, UpdateDocument, { input }, headers(who));
        expect(outcome(result, 'updateRole'), JSON.stringify(input)).toBe('SystemRoleProtectedError');
      }
      expect(await snapshot(db)).toBe(before);
      const described = await execute(app, UpdateDocument, { input: { roleUuid: userRole.uuid, description: 'Everyone' } }, headers('admin'));
      expect(described.data?.updateRole).toMatchObject({ data: { name: 'User', description: 'Everyone', isSystemRole: true } });
      await db.role.update({ where: { uuid: userRole.uuid }, data: { description: userRole.description } });
    });

    test('making a custom role a system role is for the Owner only and cannot be undone', async () => {
      const role = await createRoleRow(db);
      const before = await snapshot(db);
      const byAdmin = await execute(app, UpdateDocument, { input: { roleUuid: role.uuid, isSystemRole: true } }, headers('admin'));
      expect(outcome(byAdmin, 'updateRole')).toBe('FORBIDDEN');
      expect(await snapshot(db)).toBe(before);
      const byOwner = await execute(app, UpdateDocument, { input: { roleUuid: role.uuid, isSystemRole: true } }, headers('owner'));
      expect(byOwner.data?.updateRole).toMatchObject({ data: { isSystemRole: true } });
      const back = await execute(app, UpdateDocument, { input: { roleUuid: role.uuid, isSystemRole: false } }, headers('owner'));
      expect(outcome(back, 'updateRole')).toBe('SystemRoleProtectedError');
      const deleted = await execute(app, DeleteDocument, { input: { roleUuid: role.uuid } }, headers('owner'));
      expect(outcome(deleted, 'deleteRole')).toBe('SystemRoleProtectedError');
    });

    test.each<[string, (role: { uuid: string; name: string }, other: { name: string }) => UpdateRoleInput, string]>([
      ['unknown uuid', () => ({ roleUuid: randomUUID(), name: 'Whatever' }), 'NotFoundError'],
      ['empty name', (role) => ({ roleUuid: role.uuid, name: '' }), 'ValidationError'],
      ['oversize name', (role) => ({ roleUuid: role.uuid, name: 'x'.repeat(51) }), 'ValidationError'],
      ['name taken by another role, other case', (role, other) => ({ roleUuid: role.uuid, name: other.name.toLowerCase() }), 'ValidationError'],
      ['oversize description', (role) => ({ roleUuid: role.uuid, description: 'd'.repeat(501) }), 'ValidationError'],
    ])('refuses %s and changes nothing', async (_label, input, expected) => {
      const [role, other] = [await createRoleRow(db), await createRoleRow(db)];
      const before = await snapshot(db);
      const result = await execute(app, UpdateDocument, { input: input(role, other) }, headers('admin'));
      expect(outcome(result, 'updateRole')).toBe(expected);
      expect(await snapshot(db)).toBe(before);
    });

    test('a case-only rename of a role is its own name, not a clash', async () => {
      const role = await createRoleRow(db);
      const result = await execute(app, UpdateDocument, { input: { roleUuid: role.uuid, name: role.name.toUpperCase() } }, headers('admin'));
      expect(result.data?.updateRole).toMatchObject({ data: { name: role.name.toUpperCase() } });
    });
  });

  describe('deleteRole', () => {
    test('system roles are never deleted', async () => {
      const before = await snapshot(db);
      for (const roleName of ['Owner', 'Admin', 'User']) {
        const result = await execute(app, DeleteDocument, { input: { roleName } }, headers('owner'));
        expect(outcome(result, 'deleteRole'), roleName).toBe('SystemRoleProtectedError');
      }
      expect(await snapshot(db)).toBe(before);
    });

    test('a role someone holds is refused; once removed, it is deleted with its keys and history', async () => {
      const role = await createRoleRow(db, ['media']);
      const target = await createUserRow(db);
      await execute(app, AssignDocument, { input: { userUuid: target.uuid, roleUuid: role.uuid } }, headers('admin'));
      const before = await snapshot(db);
      const inUse = await execute(app, DeleteDocument, { input: { roleUuid: role.uuid } }, headers('admin'));
      expect(inUse.data?.deleteRole).toMatchObject({ __typename: 'RoleInUseError', code: 'ROLE_IN_USE', activeAssignments: 1 });
      expect(await snapshot(db)).toBe(before);

      await execute(app, RemoveDocument, { input: { userUuid: target.uuid, roleUuid: role.uuid } }, headers('admin'));
      const deleted = await execute(app, DeleteDocument, { input: { roleName: role.name } }, headers('admin'));
      expect(deleted.data?.deleteRole).toEqual({ __typename: 'MutationDeleteRoleSuccess', data: role.uuid });
      expect(await db.role.findUnique({ where: { uuid: role.uuid } })).toBeNull();
      expect(await db.roleAssignment.count({ where: { roleUuid: role.uuid } })).toBe(0);
      expect(await db.rolePermission.count({ where: { roleUuid: role.uuid } })).toBe(0);
      const [audit] = await auditFor(db, 'role_deleted', 'roleUuid', role.uuid);
      expect(audit).toMatchObject({ adminUserUuid: admin.uuid, targetUserUuid: admin.uuid, metadata: { roleName: role.name, permissions: ['media'] } });
    });

    test.each<[string, DeleteRoleInput, string]>([
      ['unknown uuid', { roleUuid: randomUUID() }, 'NotFoundError'],
      ['unknown name', { roleName: 'No such role' }, 'NotFoundError'],
      ['neither selector', {}, 'ValidationError'],
      ['both selectors', { roleUuid: randomUUID(), roleName: 'User' }, 'ValidationError'],
    ])('refuses %s and changes nothing', async (_label, input, expected) => {
      const before = await snapshot(db);
      const result = await execute(app, DeleteDocument, { input }, headers('admin'));
      expect(outcome(result, 'deleteRole')).toBe(expected);
      expect(await snapshot(db)).toBe(before);
    });

    test('a malformed uuid is refused by the schema and changes nothing', async () => {
      const before = await snapshot(db);
      const result = await execute(app, DeleteDocument, { input: { roleUuid: 'not-a-uuid' } }, headers('admin'));
      expect(result.errors?.[0]?.message).toMatch(/roleUuid|UUID/);
      expect(result.data ?? null).toBeNull();
      expect(await snapshot(db)).toBe(before);
    });
  });

  describe('assignRole and removeRole', () => {
    test('assigning records who and when, is idempotent, and shows in the user roles', async () => {
      const role = await createRoleRow(db);
      const first = await execute(app, AssignDocument, { input: { userUuid: member.uuid, roleName: role.name } }, headers('admin'));
      const assigned = first.data?.assignRole;
      expect(assigned?.__typename).toBe('MutationAssignRoleSuccess');
      if (assigned?.__typename !== 'MutationAssignRoleSuccess') return;
      expect(assigned.data).toMatchObject({ isActive: true, assignedBy: { uuid: admin.uuid }, user: { uuid: member.uuid }, role: { name: role.name } });
      expect(Date.now() - Date.parse(assigned.data.assignedAt)).toBeLessThan(60_000);

      const again = await execute(app, AssignDocument, { input: { userUuid: member.uuid, roleUuid: role.uuid } }, headers('owner'));
      expect(again.data?.assignRole).toMatchObject({ data: { uuid: assigned.data.uuid, assignedAt: assigned.data.assignedAt, assignedBy: { uuid: admin.uuid } } });
      expect(await db.roleAssignment.count({ where: { userUuid: member.uuid, roleUuid: role.uuid } })).toBe(1);

      const me = await execute(app, MeDocument, {}, headers('user'));
      expect(me.data?.me?.roles.map((r) => r.name)).toEqual(expect.arrayContaining(['User', role.name]));

      const audits = await auditFor(db, 'role_assigned', 'roleUuid', role.uuid);
      expect(audits.map((a) => [a.adminUserUuid, a.targetUserUuid, (a.metadata as { changed: boolean }).changed])).toEqual([
        [admin.uuid, member.uuid, true],
        [owner.uuid, member.uuid, false],
      ]);
      expect(audits[0]).toMatchObject({ ipAddress: '203.0.113.7', userAgent: 'roles-test/1.0', metadata: { roleName: role.name } });
    });

    test('removing switches the assignment off; assigning again switches the same row back on', async () => {
      const role = await createRoleRow(db);
      const target = await createUserRow(db);
      const assigned = await execute(app, AssignDocument, { input: { userUuid: target.uuid, roleUuid: role.uuid } }, headers('admin'));
      const removed = await execute(app, RemoveDocument, { input: { userUuid: target.uuid, roleUuid: role.uuid } }, headers('admin'));
      const removal = removed.data?.removeRole;
      expect(removal).toMatchObject({ __typename: 'MutationRemoveRoleSuccess', data: { isActive: false, assignedBy: { uuid: admin.uuid } } });
      const row = await db.roleAssignment.findUniqueOrThrow({ where: { userUuid_roleUuid: { userUuid: target.uuid, roleUuid: role.uuid } } });
      expect(row.isActive).toBe(false);

      const twice = await execute(app, RemoveDocument, { input: { userUuid: target.uuid, roleName: role.name } }, headers('admin'));
      expect(twice.data?.removeRole).toMatchObject({ __typename: 'MutationRemoveRoleSuccess', data: { isActive: false } });

      const back = await execute(app, AssignDocument, { input: { userUuid: target.uuid, roleUuid: role.uuid } }, headers('owner'));
      const reassigned = back.data?.assignRole;
      expect(reassigned).toMatchObject({ data: { isActive: true, assignedBy: { uuid: owner.uuid } } });
      if (reassigned?.__typename === 'MutationAssignRoleSuccess' && assigned.data?.assignRole.__typename === 'MutationAssignRoleSuccess') {
        expect(reassigned.data.uuid).toBe(assigned.data.assignRole.data.uuid);
        expect(Date.parse(reassigned.data.assignedAt)).toBeGreaterThanOrEqual(Date.parse(assigned.data.assignRole.data.assignedAt));
      }
      const removals = await auditFor(db, 'role_removed', 'roleUuid', role.uuid);
      expect(removals.map((a) => [a.targetUserUuid, (a.metadata as { changed: boolean }).changed])).toEqual([
        [target.uuid, true],
        [target.uuid, false],
      ]);
    });

    test('the Owner role is never assigned by hand, not even by the Owner', async () => {
      const target = await createUserRow(db);
      const before = await snapshot(db);
      for (const who of ['owner', 'admin'] as const) {
        const result = await execute(app, AssignDocument, { input: { userUuid: target.uuid, roleName: 'Owner' } }, headers(who));
        expect(result.data?.assignRole).toMatchObject({ __typename: 'OwnerRoleProtectedError', code: 'OWNER_ROLE_PROTECTED' });
      }
      expect(await snapshot(db)).toBe(before);
    });

    test('the last active Owner keeps the role; with a second Owner it can go', async () => {
      const before = await snapshot(db);
      const last = await execute(app, RemoveDocument, { input: { userUuid: owner.uuid, roleName: 'Owner' } }, headers('owner'));
      expect(last.data?.removeRole).toMatchObject({ __typename: 'LastOwnerError', code: 'LAST_OWNER' });
      expect(await snapshot(db)).toBe(before);
      expect(await isActiveOwner(db, owner.uuid)).toBe(true);

      const second = await createUserRow(db, 'Owner');
      const removed = await execute(app, RemoveDocument, { input: { userUuid: second.uuid, roleName: 'Owner' } }, headers('owner'));
      expect(outcome(removed, 'removeRole')).toBe('MutationRemoveRoleSuccess');
      expect(await isActiveOwner(db, second.uuid)).toBe(false);
    });

    test('an inactive second Owner does not count: the last active Owner still keeps the role', async () => {
      const dormant = await createUserRow(db, 'Owner');
      await db.user.update({ where: { uuid: dormant.uuid }, data: { isActive: false } });
      const result = await execute(app, RemoveDocument, { input: { userUuid: owner.uuid, roleName: 'Owner' } }, headers('owner'));
      expect(outcome(result, 'removeRole')).toBe('LastOwnerError');
      expect(await isActiveOwner(db, owner.uuid)).toBe(true);
    });

    test.each<[string, (ids: { user: string; role: string; roleName: string }) => AssignRoleInput, string]>([
      ['unknown user', (ids) => ({ userUuid: randomUUID(), roleUuid: ids.role }), 'NotFoundError'],
      ['unknown role uuid', (ids) => ({ userUuid: ids.user, roleUuid: randomUUID() }), 'NotFoundError'],
      ['unknown role name', (ids) => ({ userUuid: ids.user, roleName: 'Nobody\u00a0knows' }), 'NotFoundError'],
      ['empty role name', (ids) => ({ userUuid: ids.user, roleName: '' }), 'NotFoundError'],
      ['oversize role name', (ids) => ({ userUuid: ids.user, roleName: 'r'.repeat(500) }), 'NotFoundError'],
      ['neither selector', (ids) => ({ userUuid: ids.user }), 'ValidationError'],
      ['both selectors', (ids) => ({ userUuid: ids.user, roleUuid: ids.role, roleName: ids.roleName }), 'ValidationError'],
    ])('assign and remove refuse %s and change nothing', async (_label, input, expected) => {
      const role = await createRoleRow(db);
      const target = await createUserRow(db);
      await grantRole(db, target.uuid, role.name);
      const before = await snapshot(db);
      const variables = input({ user: target.uuid, role: role.uuid, roleName: role.name });
      const assigned = await execute(app, AssignDocument, { input: variables }, headers('admin'));
      expect(outcome(assigned, 'assignRole')).toBe(expected);
      const removed = await execute(app, RemoveDocument, { input: variables }, headers('admin'));
      expect(outcome(removed, 'removeRole')).toBe(expected);
      expect(await snapshot(db)).toBe(before);
    });

    test("a removed role stops counting at the holder's next request, and counts again once reassigned", async () => {
      const holder = await signUp(app);
      const as = { ...holder.headers, ...CLIENT };
      await grantRole(db, holder.uuid, 'Admin');
      const create = () => execute(app, CreateDocument, { input: { name: uniqueRoleName() } }, as);
      expect(outcome(await create(), 'createRole')).toBe('MutationCreateRoleSuccess');

      const input = { userUuid: holder.uuid, roleName: 'Admin' };
      expect(outcome(await execute(app, RemoveDocument, { input }, headers('owner')), 'removeRole')).toBe('MutationRemoveRoleSuccess');
      expect(outcome(await create(), 'createRole')).toBe('FORBIDDEN');

      expect(outcome(await execute(app, AssignDocument, { input }, headers('owner')), 'assignRole')).toBe('MutationAssignRoleSuccess');
      expect(outcome(await create(), 'createRole')).toBe('MutationCreateRoleSuccess');
    });

    test('removing a role the user never held is NotFoundError', async () => {
      const role = await createRoleRow(db);
      const before = await snapshot(db);
      const result = await execute(app, RemoveDocument, { input: { userUuid: member.uuid, roleUuid: role.uuid } }, headers('admin'));
      expect(result.data?.removeRole).toMatchObject({ __typename: 'NotFoundError', message: 'Role assignment not found' });
      expect(await snapshot(db)).toBe(before);
    });
  });

  describe('permissions', () => {
    test('setRolePermissions stores a normalised allow-list, records who granted it, and audits the diff', async () => {
      const role = await createRoleRow(db, ['media']);
      const result = await execute(
        app,
        SetPermissionsDocument,
        { input: { roleUuid: role.uuid, permissions: ['users', 'posts.publish', 'users'] } },
        headers('admin'),
      );
      expect(result.data?.setRolePermissions).toMatchObject({ data: { permissions: ['posts', 'posts.publish', 'users'] } });
      const rows = await db.rolePermission.findMany({ where: { roleUuid: role.uuid }, orderBy: { moduleKey: 'asc' } });
      expect(rows.map((r) => [r.moduleKey, r.grantedByUuid])).toEqual([
        ['posts', admin.uuid],
        ['posts.publish', admin.uuid],
        ['users', admin.uuid],
      ]);
      const [audit] = await auditFor(db, 'role_permissions_changed', 'roleUuid', role.uuid);
      expect(audit).toMatchObject({
        adminUserUuid: admin.uuid,
        targetUserUuid: admin.uuid,
        ipAddress: '203.0.113.7',
        metadata: { roleName: role.name, changed: true, added: ['posts', 'posts.publish', 'users'], removed: ['media'] },
      });
      // the same list again changes nothing, and the audit says so
      const repeat = await execute(app, SetPermissionsDocument, { input: { roleUuid: role.uuid, permissions: ['users', 'posts.publish'] } }, headers('admin'));
      expect(repeat.data?.setRolePermissions).toMatchObject({ data: { permissions: ['posts', 'posts.publish', 'users'] } });
      const audits = await auditFor(db, 'role_permissions_changed', 'roleUuid', role.uuid);
      expect(audits.map((a) => (a.metadata as { changed: boolean; added: string[] }).changed)).toEqual([true, false]);

      const wildcard = await execute(app, SetPermissionsDocument, { input: { roleName: role.name, permissions: ['users', '*'] } }, headers('admin'));
      expect(wildcard.data?.setRolePermissions).toMatchObject({ data: { permissions: ['*'] } });
      const none = await execute(app, SetPermissionsDocument, { input: { roleName: role.name, permissions: [] } }, headers('admin'));
      expect(none.data?.setRolePermissions).toMatchObject({ data: { permissions: [] } });
      expect(await db.rolePermission.count({ where: { roleUuid: role.uuid } })).toBe(0);
    });

    test.each<[string, string[], string]>([
      ['upper case', ['Users'], 'permissions.0'],
      ['trailing dot', ['users', 'users.'], 'permissions.1'],
      ['leading dot', ['.users'], 'permissions.0'],
      ['double dot', ['a..b'], 'permissions.0'],
      ['dash', ['a-b'], 'permissions.0'],
      ['empty key', [''], 'permissions.0'],
      ['leading space', [' users'], 'permissions.0'],
      ['non-ASCII letter', ['ü'], 'permissions.0'],
      ['NUL', ['users\u0000'], 'permissions.0'],
      ['sub-key wildcard', ['users.*'], 'permissions.0'],
      ['121 characters', [`${'a'.repeat(60)}.${'b'.repeat(60)}`], 'permissions.0'],
      ['51-character segment', ['a'.repeat(51)], 'permissions.0'],
      ['51 keys', Array.from({ length: 51 }, (_, i) => `key_${i}`), 'permissions'],
    ])('refuses %s with a ValidationError and changes nothing', async (_label, permissions, path) => {
      const role = await createRoleRow(db, ['media']);
      const before = await snapshot(db);
      const result = await execute(app, SetPermissionsDocument, { input: { roleUuid: role.uuid, permissions } }, headers('admin'));
      const answer = result.data?.setRolePermissions;
      expect(answer?.__typename).toBe('ValidationError');
      if (answer?.__typename === 'ValidationError') expect(answer.issues.map((i) => i.path)).toEqual([path]);
      expect(await snapshot(db)).toBe(before);
    });

    test('the Owner role cannot be edited, not even by the Owner', async () => {
      const before = await snapshot(db);
      for (const who of ['owner', 'admin'] as const) {
        const result = await execute(app, SetPermissionsDocument, { input: { roleName: 'Owner', permissions: ['users'] } }, headers(who));
        expect(outcome(result, 'setRolePermissions')).toBe('OwnerRoleProtectedError');
      }
      expect(await snapshot(db)).toBe(before);
    });

    test("keys decide access: without `users` an Admin cannot manage roles until the Owner gives it back", async () => {
      const adminRole = await db.role.findUniqueOrThrow({ where: { name: 'Admin' }, include: { permissions: true } });
      const keys = adminRole.permissions.map((p) => p.moduleKey);
      const stripped = await execute(
        app,
        SetPermissionsDocument,
        { input: { roleName: 'Admin', permissions: keys.filter((k) => k !== 'users') } },
        headers('owner'),
      );
      expect(outcome(stripped, 'setRolePermissions')).toBe('MutationSetRolePermissionsSuccess');
      const refused = await execute(app, CreateDocument, { input: { name: uniqueRoleName() } }, headers('admin'));
      expect(outcome(refused, 'createRole')).toBe('FORBIDDEN');

      const restored = await execute(app, SetPermissionsDocument, { input: { roleName: 'Admin', permissions: keys } }, headers('owner'));
      expect(outcome(restored, 'setRolePermissions')).toBe('MutationSetRolePermissionsSuccess');
      const allowed = await execute(app, CreateDocument, { input: { name: uniqueRoleName() } }, headers('admin'));
      expect(outcome(allowed, 'createRole')).toBe('MutationCreateRoleSuccess');
    });

    test('a role holding * still cannot manage roles: that needs the admin scope', async () => {
      const role = await createRoleRow(db, ['*']);
      const holder = await signUp(app);
      await grantRole(db, holder.uuid, role.name);
      const result = await execute(app, CreateDocument, { input: { name: uniqueRoleName() } }, { ...holder.headers, ...CLIENT });
      expect(outcome(result, 'createRole')).toBe('FORBIDDEN');
    });
  });

  test('a client asking only for __typename of each success gets it', async () => {
    const [role, target] = [await createRoleRow(db), await createUserRow(db)];
    const result = await execute(
      app,
      BareDocument,
      {
        create: { name: uniqueRoleName('Bare') },
        update: { roleUuid: role.uuid, description: 'bare' },
        permissions: { roleUuid: role.uuid, permissions: ['media'] },
        assign: { userUuid: target.uuid, roleUuid: role.uuid },
        remove: { userUuid: target.uuid, roleUuid: role.uuid },
      },
      headers('admin'),
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      createRole: { __typename: 'MutationCreateRoleSuccess' },
      updateRole: { __typename: 'MutationUpdateRoleSuccess' },
      setRolePermissions: { __typename: 'MutationSetRolePermissionsSuccess' },
      assignRole: { __typename: 'MutationAssignRoleSuccess' },
      removeRole: { __typename: 'MutationRemoveRoleSuccess' },
    });
  });

  describe('authorization matrix', () => {
    type Case = {
      name: string;
      field: string;
      /** Creates what the call needs, then returns the call; so each actor acts on fresh rows. */
      prepare: () => Promise<(h: Record<string, string>) => Promise<Result>>;
      allowed: Actor[];
    };
    const ROLE_MANAGERS: Actor[] = ['admin', 'owner'];
    const OWNER_ONLY: Actor[] = ['owner'];
    const cases: Case[] = [
      {
        name: 'createRole',
        field: 'createRole',
        allowed: ROLE_MANAGERS,
        prepare: async () => (h) => execute(app, CreateDocument, { input: { name: uniqueRoleName('Matrix') } }, h),
      },
      {
        name: 'updateRole on a custom role',
        field: 'updateRole',
        allowed: ROLE_MANAGERS,
        prepare: async () => {
          const role = await createRoleRow(db);
          return (h) => execute(app, UpdateDocument, { input: { roleUuid: role.uuid, description: 'changed' } }, h);
        },
      },
      {
        name: 'updateRole on the Admin role',
        field: 'updateRole',
        allowed: OWNER_ONLY,
        prepare: async () => {
          const role = await db.role.findUniqueOrThrow({ where: { name: 'Admin' } });
          return (h) => execute(app, UpdateDocument, { input: { roleUuid: role.uuid, description: role.description } }, h);
        },
      },
      {
        name: 'deleteRole',
        field: 'deleteRole',
        allowed: ROLE_MANAGERS,
        prepare: async () => {
          const role = await createRoleRow(db);
          return (h) => execute(app, DeleteDocument, { input: { roleUuid: role.uuid } }, h);
        },
      },
      {
        name: 'setRolePermissions on a custom role',
        field: 'setRolePermissions',
        allowed: ROLE_MANAGERS,
        prepare: async () => {
          const role = await createRoleRow(db);
          return (h) => execute(app, SetPermissionsDocument, { input: { roleUuid: role.uuid, permissions: ['media'] } }, h);
        },
      },
      {
        name: 'setRolePermissions on the Admin role',
        field: 'setRolePermissions',
        allowed: OWNER_ONLY,
        prepare: async () => {
          const keys = await db.rolePermission.findMany({ where: { role: { name: 'Admin' } } });
          return (h) => execute(app, SetPermissionsDocument, { input: { roleName: 'Admin', permissions: keys.map((k) => k.moduleKey) } }, h);
        },
      },
      {
        name: 'assignRole of a custom role',
        field: 'assignRole',
        allowed: ROLE_MANAGERS,
        prepare: async () => {
          const [role, target] = [await createRoleRow(db), await createUserRow(db)];
          return (h) => execute(app, AssignDocument, { input: { userUuid: target.uuid, roleUuid: role.uuid } }, h);
        },
      },
      {
        name: 'assignRole of Admin',
        field: 'assignRole',
        allowed: OWNER_ONLY,
        prepare: async () => {
          const target = await createUserRow(db);
          return (h) => execute(app, AssignDocument, { input: { userUuid: target.uuid, roleName: 'Admin' } }, h);
        },
      },
      {
        name: 'removeRole of a custom role',
        field: 'removeRole',
        allowed: ROLE_MANAGERS,
        prepare: async () => {
          const role = await createRoleRow(db);
          const target = await createUserRow(db, role.name);
          return (h) => execute(app, RemoveDocument, { input: { userUuid: target.uuid, roleUuid: role.uuid } }, h);
        },
      },
      {
        name: 'removeRole of Admin',
        field: 'removeRole',
        allowed: OWNER_ONLY,
        prepare: async () => {
          const target = await createUserRow(db, 'Admin');
          return (h) => execute(app, RemoveDocument, { input: { userUuid: target.uuid, roleName: 'Admin' } }, h);
        },
      },
      {
        name: 'removeRole of Owner from a second Owner',
        field: 'removeRole',
        allowed: OWNER_ONLY,
        prepare: async () => {
          const target = await createUserRow(db, 'Owner');
          return (h) => execute(app, RemoveDocument, { input: { userUuid: target.uuid, roleName: 'Owner' } }, h);
        },
      },
    ];

    test.each(cases.flatMap((c) => ACTORS.map((who) => [c.name, who, c] as const)))(
      '%s as %s',
      async (_name, who, c) => {
        const call = await c.prepare();
        const before = await snapshot(db);
        const result = await call(headers(who));
        const expected = c.allowed.includes(who) ? success(c.field) : who === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
        expect(outcome(result, c.field)).toBe(expected);
        if (!c.allowed.includes(who)) expect(await snapshot(db)).toBe(before);
        else expect(await db.auditLog.count()).toBeGreaterThan(JSON.parse(before).audits);
      },
    );
  });
});

describe('roles under concurrent requests (postgres)', () => {
  const openPostgres = backends.find(([name]) => name === 'postgres')?.[1];
  if (!openPostgres) throw new Error('the postgres backend is missing');
  let backend: Backend;
  let db: Db;
  let app: App;
  let owner: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    backend = await openPostgres();
    db = backend.database.prisma;
    app = createTestApp(backend);
    owner = await signUp(app);
    admin = await signUp(app);
    await grantRole(db, admin.uuid, 'Admin');
  });
  afterAll(() => backend.close());

  test('10 simultaneous removals of the last Owner are all refused and the Owner stays', async () => {
    const before = await snapshot(db);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        execute(app, RemoveDocument, { input: { userUuid: owner.uuid, roleName: 'Owner' } }, { ...owner.headers, ...CLIENT }),
      ),
    );
    expect(results.map((r) => outcome(r, 'removeRole'))).toEqual(Array(10).fill('LastOwnerError'));
    expect(await isActiveOwner(db, owner.uuid)).toBe(true);
    expect(await snapshot(db)).toBe(before);
  });

  test('two Owners removing each other at once: exactly one keeps the role', async () => {
    const second = await signUp(app);
    await grantRole(db, second.uuid, 'Owner');
    const attempts = Array.from({ length: 10 }, (_, i) => {
      const [actor, target] = i % 2 === 0 ? [owner, second] : [second, owner];
      return execute(app, RemoveDocument, { input: { userUuid: target.uuid, roleName: 'Owner' } }, { ...actor.headers, ...CLIENT }).then(
        (result) => ({ target: target.uuid, answer: outcome(result, 'removeRole') }),
      );
    });
    const results = await Promise.all(attempts);
    const survivors = [(await isActiveOwner(db, owner.uuid)) && owner.uuid, (await isActiveOwner(db, second.uuid)) && second.uuid].filter(Boolean);
    expect(survivors).toHaveLength(1);
    const removedTargets = new Set(results.filter((r) => r.answer === 'MutationRemoveRoleSuccess').map((r) => r.target));
    expect([...removedTargets]).toHaveLength(1);
    expect(removedTargets.has(survivors[0] as string)).toBe(false);
    for (const r of results) expect(['MutationRemoveRoleSuccess', 'LastOwnerError', 'FORBIDDEN']).toContain(r.answer);
    // the survivor is the Owner of the rest of this file
    if (survivors[0] !== owner.uuid) owner = second;
  });

  test('simultaneous assigns and removes of one role leave one row, consistent with the audit log', async () => {
    const role = await createRoleRow(db);
    const target = await createUserRow(db, role.name);
    const calls = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? execute(app, AssignDocument, { input: { userUuid: target.uuid, roleUuid: role.uuid } }, { ...admin.headers, ...CLIENT }).then((r) =>
            outcome(r, 'assignRole'),
          )
        : execute(app, RemoveDocument, { input: { userUuid: target.uuid, roleUuid: role.uuid } }, { ...admin.headers, ...CLIENT }).then((r) =>
            outcome(r, 'removeRole'),
          ),
    );
    const answers = await Promise.all(calls);
    expect(new Set(answers)).toEqual(new Set(['MutationAssignRoleSuccess', 'MutationRemoveRoleSuccess']));
    const rows = await db.roleAssignment.findMany({ where: { userUuid: target.uuid, roleUuid: role.uuid } });
    expect(rows).toHaveLength(1);
    const changes = async (action: string) =>
      (await auditFor(db, action, 'roleUuid', role.uuid)).filter((a) => (a.metadata as { changed: boolean }).changed).length;
    // the row started active: every effective removal is matched by an effective assignment, except possibly the last
    expect((await changes('role_assigned')) - (await changes('role_removed'))).toBe(rows[0]?.isActive ? 0 : -1);
    expect(await auditFor(db, 'role_assigned', 'roleUuid', role.uuid)).toHaveLength(10);
    expect(await auditFor(db, 'role_removed', 'roleUuid', role.uuid)).toHaveLength(10);
  });

  test('10 simultaneous identical assigns make one row and one effective change', async () => {
    const role = await createRoleRow(db);
    const target = await createUserRow(db);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        execute(app, AssignDocument, { input: { userUuid: target.uuid, roleName: role.name } }, { ...admin.headers, ...CLIENT }).then((r) =>
          outcome(r, 'assignRole'),
        ),
      ),
    );
    expect(answers).toEqual(Array(10).fill('MutationAssignRoleSuccess'));
    expect(await db.roleAssignment.count({ where: { userUuid: target.uuid, roleUuid: role.uuid, isActive: true } })).toBe(1);
    const audits = await auditFor(db, 'role_assigned', 'roleUuid', role.uuid);
    expect(audits.filter((a) => (a.metadata as { changed: boolean }).changed)).toHaveLength(1);
  });

  test('deleting a role while it is being assigned: either the role goes and no assignment exists, or it stays in use', async () => {
    const role = await createRoleRow(db);
    const targets = await Promise.all(Array.from({ length: 5 }, () => createUserRow(db)));
    const [deleted, ...assigned] = await Promise.all([
      execute(app, DeleteDocument, { input: { roleUuid: role.uuid } }, { ...admin.headers, ...CLIENT }).then((r) => outcome(r, 'deleteRole')),
      ...targets.map((t) =>
        execute(app, AssignDocument, { input: { userUuid: t.uuid, roleUuid: role.uuid } }, { ...admin.headers, ...CLIENT }).then((r) =>
          outcome(r, 'assignRole'),
        ),
      ),
    ]);
    const rows = await db.roleAssignment.count({ where: { roleUuid: role.uuid } });
    const successes = assigned.filter((a) => a === 'MutationAssignRoleSuccess').length;
    if (deleted === 'MutationDeleteRoleSuccess') {
      expect(await db.role.findUnique({ where: { uuid: role.uuid } })).toBeNull();
      expect(successes).toBe(0);
      expect(assigned).toEqual(Array(5).fill('NotFoundError'));
    } else {
      expect(deleted).toBe('RoleInUseError');
      expect(rows).toBe(successes);
      expect(successes).toBe(5);
    }
  });

  test('10 simultaneous creations of one name in different cases make exactly one role', async () => {
    const base = `Race ${randomUUID().slice(0, 8)}`;
    const names = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? base.toLowerCase() : base.toUpperCase()));
    const answers = await Promise.all(
      names.map((name) => execute(app, CreateDocument, { input: { name } }, { ...owner.headers, ...CLIENT }).then((r) => outcome(r, 'createRole'))),
    );
    expect(answers.filter((a) => a === 'MutationCreateRoleSuccess')).toHaveLength(1);
    expect(answers.filter((a) => a === 'ValidationError')).toHaveLength(9);
    const rows = await db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM phoenix_kit_user_roles WHERE lower(name) = lower(${base})`;
    expect(Number(rows[0]?.n)).toBe(1);
  });
});
