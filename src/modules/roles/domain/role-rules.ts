export const OWNER_ROLE = 'Owner';
export const ADMIN_ROLE = 'Admin';

/** What a role mutation does to a role; decides who may do it and which rule can refuse it. */
export type RoleAction = 'create' | 'update' | 'delete' | 'assign' | 'remove' | 'edit_permissions';

/** A reason a role action is refused whoever asks; each maps to one typed GraphQL error. */
export type RoleRefusal = 'owner_role_protected' | 'system_role_protected' | 'role_in_use' | 'last_owner';

/** Owner and Admin: only an Owner grants, removes or redefines them. */
export const isPrivilegedRole = (name: string) => name === OWNER_ROLE || name === ADMIN_ROLE;

/**
 * Whether only an Owner may do `action` on the role named `roleName`: granting or removing Admin, removing Owner,
 * editing the Owner or Admin role or Admin's keys, and making any role a system role (which cannot be undone).
 * Assigning Owner and editing Owner's keys are refused for everyone instead (see `assignmentRefusal`, `permissionEditRefusal`).
 */
export function isOwnerOnly(action: RoleAction, roleName: string, opts: { makesSystemRole?: boolean } = {}): boolean {
  switch (action) {
    case 'assign':
    case 'edit_permissions':
      return roleName === ADMIN_ROLE;
    case 'remove':
    case 'update':
      return isPrivilegedRole(roleName) || (action === 'update' && opts.makesSystemRole === true);
    case 'create':
    case 'delete':
      return false;
  }
}

/** Owner comes only from the first-user rule, never by hand. */
export function assignmentRefusal(roleName: string): RoleRefusal | null {
  return roleName === OWNER_ROLE ? 'owner_role_protected' : null;
}

/** The Owner's permissions are "everything", fixed in code. */
export function permissionEditRefusal(roleName: string): RoleRefusal | null {
  return roleName === OWNER_ROLE ? 'owner_role_protected' : null;
}

export type RoleState = { name: string; isSystemRole: boolean };
export type RoleChange = { name?: string; isSystemRole?: boolean };

/** System roles keep their name and stay system roles. */
export function updateRefusal(role: RoleState, change: RoleChange): RoleRefusal | null {
  if (!role.isSystemRole) return null;
  if (change.name !== undefined && change.name !== role.name) return 'system_role_protected';
  if (change.isSystemRole === false) return 'system_role_protected';
  return null;
}

/** System roles are never deleted; a role someone holds is not deleted from under them. */
export function deletionRefusal(role: RoleState, activeAssignments: number): RoleRefusal | null {
  if (role.isSystemRole) return 'system_role_protected';
  if (activeAssignments > 0) return 'role_in_use';
  return null;
}

/** Removing Owner from someone must leave at least one other active Owner. */
export function removalRefusal(roleName: string, otherActiveOwners: number): RoleRefusal | null {
  return roleName === OWNER_ROLE && otherActiveOwners === 0 ? 'last_owner' : null;
}

export type StatusActor = { uuid: string; isOwner: boolean };
export type StatusTarget = { uuid: string; roles: readonly string[] };
export type StatusRefusal = 'owner_required' | 'last_owner' | 'cannot_deactivate_self';

/** Only an Owner changes the status of an Owner or Admin account (the same rule as granting those roles). */
export function statusChangeNeedsOwner(target: Pick<StatusTarget, 'roles'>): boolean {
  return target.roles.some(isPrivilegedRole);
}

/**
 * Deactivation: an Owner or Admin account only by an Owner; an Owner only while another active Owner remains;
 * yourself only as an Owner while another active Owner remains (nobody else could switch you back on otherwise).
 */
export function deactivationRefusal(actor: StatusActor, target: StatusTarget, otherActiveOwners: number): StatusRefusal | null {
  if (statusChangeNeedsOwner(target) && !actor.isOwner) return 'owner_required';
  if (target.roles.includes(OWNER_ROLE) && otherActiveOwners === 0) return 'last_owner';
  if (actor.uuid === target.uuid && !(actor.isOwner && otherActiveOwners > 0)) return 'cannot_deactivate_self';
  return null;
}

/** Activation: an Owner or Admin account only by an Owner. */
export function activationRefusal(actor: StatusActor, target: StatusTarget): StatusRefusal | null {
  return statusChangeNeedsOwner(target) && !actor.isOwner ? 'owner_required' : null;
}
