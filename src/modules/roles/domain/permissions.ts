import type { FieldIssue } from '../../../graphql/errors.js';
import { WILDCARD_PERMISSION } from '../../auth/domain/viewer.js';

/** Lower-case dotted segments: `users`, `posts.publish`. The database CHECK on role_permissions uses the same rule. */
export const PERMISSION_KEY_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
/** A role's allow-list holds at most this many keys (after implied base keys are added). */
export const MAX_PERMISSION_KEYS = 50;
/** `role_permissions.module_key` is varchar(120). */
export const MAX_PERMISSION_KEY_LENGTH = 120;
/** Each dotted segment is at most 50 characters (reference §4.3). */
export const MAX_PERMISSION_SEGMENT_LENGTH = 50;

export type PermissionKeysResult = { ok: true; keys: string[] } | { ok: false; issues: FieldIssue[] };

/** `a.b.c` → `a`, `a.b`, `a.b.c`: granting a sub-key grants its bases. */
export function keyWithBases(key: string): string[] {
  if (key === WILDCARD_PERMISSION) return [key];
  const parts = key.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

/** One problem with one key, or null when the key is well-formed. */
export function permissionKeyProblem(key: string): string | null {
  if (key === WILDCARD_PERMISSION) return null;
  if (key.length === 0) return 'is empty';
  if (key.length > MAX_PERMISSION_KEY_LENGTH) return `must be at most ${MAX_PERMISSION_KEY_LENGTH} characters`;
  if (!PERMISSION_KEY_PATTERN.test(key)) {
    return 'must be lower-case segments of letters, digits and underscores, each starting with a letter, joined by dots';
  }
  if (key.split('.').some((part) => part.length > MAX_PERMISSION_SEGMENT_LENGTH)) {
    return `each dotted part must be at most ${MAX_PERMISSION_SEGMENT_LENGTH} characters`;
  }
  return null;
}

/**
 * Checks a requested allow-list and returns what is stored: duplicates dropped, base keys of sub-keys added,
 * sorted, and `*` alone when the wildcard is present (it already grants everything).
 */
export function normalizePermissionKeys(keys: readonly string[], path = 'permissions'): PermissionKeysResult {
  const issues: FieldIssue[] = [];
  keys.forEach((key, i) => {
    const problem = permissionKeyProblem(key);
    if (problem) issues.push({ path: `${path}.${i}`, message: problem });
  });
  if (issues.length > 0) return { ok: false, issues };
  if (keys.includes(WILDCARD_PERMISSION)) return { ok: true, keys: [WILDCARD_PERMISSION] };
  const stored = [...new Set(keys.flatMap(keyWithBases))].sort();
  if (stored.length > MAX_PERMISSION_KEYS) {
    return {
      ok: false,
      issues: [{ path, message: `must hold at most ${MAX_PERMISSION_KEYS} keys (counting implied base keys); got ${stored.length}` }],
    };
  }
  return { ok: true, keys: stored };
}

export type RoleGrant = { name: string; permissions: readonly string[] };

/** What a user may do: the Owner holds `*` in code; anyone else the union of their roles' keys and those keys' bases. */
export function effectivePermissions(roles: readonly RoleGrant[]): ReadonlySet<string> {
  if (roles.some((r) => r.name === 'Owner')) return new Set([WILDCARD_PERMISSION]);
  return new Set(roles.flatMap((r) => r.permissions.flatMap(keyWithBases)));
}

/** The keys a replacement adds and removes, for the audit log. */
export function diffPermissions(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  const old = new Set(before);
  const next = new Set(after);
  return { added: after.filter((k) => !old.has(k)), removed: before.filter((k) => !next.has(k)) };
}
