import { describe, expect, test } from 'vitest';
import {
  activationRefusal,
  assignmentRefusal,
  deactivationRefusal,
  deletionRefusal,
  isOwnerOnly,
  permissionEditRefusal,
  removalRefusal,
  updateRefusal,
  type RoleAction,
} from './role-rules.js';

describe('isOwnerOnly', () => {
  test.each<[RoleAction, string, boolean, boolean]>([
    ['assign', 'Admin', false, true],
    ['assign', 'Owner', false, false], // refused for everyone instead
    ['assign', 'User', false, false],
    ['assign', 'Editor', false, false],
    ['remove', 'Admin', false, true],
    ['remove', 'Owner', false, true],
    ['remove', 'User', false, false],
    ['remove', 'Editor', false, false],
    ['edit_permissions', 'Admin', false, true],
    ['edit_permissions', 'Owner', false, false], // immutable for everyone
    ['edit_permissions', 'Editor', false, false],
    ['update', 'Admin', false, true],
    ['update', 'Owner', false, true],
    ['update', 'User', false, false],
    ['update', 'Editor', false, false],
    ['update', 'Editor', true, true],
    ['create', 'Editor', false, false],
    ['delete', 'Admin', false, false], // system roles are refused for everyone instead
  ])('%s %s (makes system: %s) → %s', (action, role, makesSystemRole, expected) => {
    expect(isOwnerOnly(action, role, { makesSystemRole })).toBe(expected);
  });
});

test.each([
  ['Owner', 'owner_role_protected'],
  ['Admin', null],
  ['Editor', null],
])('assignmentRefusal(%s) → %s', (role, expected) => expect(assignmentRefusal(role)).toBe(expected));

test.each([
  ['Owner', 'owner_role_protected'],
  ['Admin', null],
  ['User', null],
])('permissionEditRefusal(%s) → %s', (role, expected) => expect(permissionEditRefusal(role)).toBe(expected));

describe('updateRefusal', () => {
  const system = { name: 'Admin', isSystemRole: true };
  const custom = { name: 'Editor', isSystemRole: false };
  test.each([
    ['rename a system role', system, { name: 'Boss' }, 'system_role_protected'],
    ['same name on a system role', system, { name: 'Admin' }, null],
    ['make a system role non-system', system, { isSystemRole: false }, 'system_role_protected'],
    ['keep a system role system', system, { isSystemRole: true }, null],
    ['describe a system role', system, {}, null],
    ['rename a custom role', custom, { name: 'Writer' }, null],
    ['make a custom role system', custom, { isSystemRole: true }, null],
  ])('%s', (_name, role, change, expected) => expect(updateRefusal(role, change)).toBe(expected));
});

describe('deletionRefusal', () => {
  test.each([
    ['system role', { name: 'User', isSystemRole: true }, 0, 'system_role_protected'],
    ['system role in use', { name: 'User', isSystemRole: true }, 3, 'system_role_protected'],
    ['custom role in use', { name: 'Editor', isSystemRole: false }, 1, 'role_in_use'],
    ['unused custom role', { name: 'Editor', isSystemRole: false }, 0, null],
  ])('%s', (_name, role, assignments, expected) => expect(deletionRefusal(role, assignments)).toBe(expected));
});

test.each([
  ['Owner', 0, 'last_owner'],
  ['Owner', 1, null],
  ['Admin', 0, null],
])('removalRefusal(%s, others %i) → %s', (role, others, expected) => expect(removalRefusal(role, others)).toBe(expected));

describe('deactivationRefusal', () => {
  const owner = { uuid: 'o', isOwner: true };
  const admin = { uuid: 'a', isOwner: false };
  const helper = { uuid: 'h', isOwner: false };
  test.each([
    ['admin deactivates a user', admin, { uuid: 'u', roles: ['User'] }, 1, null],
    ['permission holder deactivates a user', helper, { uuid: 'u', roles: ['User'] }, 1, null],
    ['admin deactivates an admin', admin, { uuid: 'a2', roles: ['Admin'] }, 1, 'owner_required'],
    ['admin deactivates an owner', admin, { uuid: 'o', roles: ['Owner'] }, 0, 'owner_required'],
    ['owner deactivates an admin', owner, { uuid: 'a', roles: ['Admin'] }, 1, null],
    ['owner deactivates the last other owner', owner, { uuid: 'o2', roles: ['Owner'] }, 0, 'last_owner'],
    ['owner deactivates another owner while one remains', owner, { uuid: 'o2', roles: ['Owner'] }, 1, null],
    ['owner deactivates self as the last owner', owner, { uuid: 'o', roles: ['Owner'] }, 0, 'last_owner'],
    ['owner deactivates self while another owner remains', owner, { uuid: 'o', roles: ['Owner'] }, 1, null],
    ['admin deactivates self', admin, { uuid: 'a', roles: ['Admin'] }, 1, 'owner_required'],
    ['permission holder deactivates self', helper, { uuid: 'h', roles: ['Support'] }, 1, 'cannot_deactivate_self'],
    ['user without roles', admin, { uuid: 'n', roles: [] }, 1, null],
  ])('%s', (_name, actor, target, others, expected) => expect(deactivationRefusal(actor, target, others)).toBe(expected));
});

test.each([
  [{ uuid: 'a', isOwner: false }, ['User'], null],
  [{ uuid: 'a', isOwner: false }, ['Admin'], 'owner_required'],
  [{ uuid: 'a', isOwner: false }, ['Owner'], 'owner_required'],
  [{ uuid: 'o', isOwner: true }, ['Admin', 'Owner'], null],
])('activationRefusal(%j, %j) → %s', (actor, roles, expected) =>
  expect(activationRefusal(actor, { uuid: 't', roles })).toBe(expected));
