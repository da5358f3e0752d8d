import type { Viewer } from '../../../graphql/context.js';
import type { TokenHash } from './tokens.js';

/** Advisory-lock key guarding "there is always at least one active Owner" (first registration, role removal, deactivation). */
export const OWNER_GUARD_LOCK = 'phoenix_kit_last_owner_guard';

export const SYSTEM_ROLES = ['Owner', 'Admin', 'User'] as const;
export const WILDCARD_PERMISSION = '*';

/** Builds the viewer from a user's active roles: Owner holds everything; others hold the union of their roles' keys. */
export function viewerFromRoles(
  uuid: string,
  sessionUuid: string | null,
  sessionTokenHash: TokenHash | null,
  roles: ReadonlyArray<{ name: string; permissions: readonly string[] }>,
): Viewer {
  const names = roles.map((r) => r.name);
  const isOwner = names.includes('Owner');
  const isAdmin = isOwner || names.includes('Admin');
  const permissions = new Set(isOwner ? [WILDCARD_PERMISSION] : roles.flatMap((r) => r.permissions));
  return { uuid, sessionUuid, sessionTokenHash, roles: names, isOwner, isAdmin, permissions };
}

/** Whether the viewer holds `key`: the wildcard, the key itself, or (for "base.sub") nothing broader is implied. */
export function hasPermission(viewer: Pick<Viewer, 'permissions'>, key: string): boolean {
  return viewer.permissions.has(WILDCARD_PERMISSION) || viewer.permissions.has(key);
}
