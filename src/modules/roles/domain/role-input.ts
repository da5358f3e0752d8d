import type { FieldIssue } from '../../../graphql/errors.js';

export const ROLE_NAME_MAX = 50;
export const ROLE_DESCRIPTION_MAX = 500;

// control, format (zero-width, bidi overrides) and unpaired surrogate code points: invisible or unstorable,
// and the way to make "Owner\u200b" look like "Owner"
const INVISIBLE_IN_NAME = /[\p{Cc}\p{Cf}\p{Cs}]/u;
// descriptions may span lines
const UNSTORABLE_IN_TEXT = /[\p{Cs}\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/u;

const codePoints = (s: string) => [...s].length;

/** NFC, trimmed, inner whitespace runs collapsed: the form names are stored and compared in. */
export function normalizeRoleName(name: string): string {
  return name.normalize('NFC').trim().replace(/\s+/gu, ' ');
}

/** Validates an already normalised role name: 1–50 characters, nothing invisible. */
export function validateRoleName(name: string, path = 'name'): FieldIssue[] {
  if (name.length === 0) return [{ path, message: 'is required' }];
  if (codePoints(name) > ROLE_NAME_MAX) return [{ path, message: `must be at most ${ROLE_NAME_MAX} characters` }];
  if (INVISIBLE_IN_NAME.test(name)) return [{ path, message: 'must not contain control or invisible characters' }];
  return [];
}

/** NFC and trimmed; blank means "no description". */
export function normalizeRoleDescription(description: string | null): string | null {
  const text = description?.normalize('NFC').trim() ?? '';
  return text.length > 0 ? text : null;
}

export function validateRoleDescription(description: string | null, path = 'description'): FieldIssue[] {
  if (description === null) return [];
  if (codePoints(description) > ROLE_DESCRIPTION_MAX) {
    return [{ path, message: `must be at most ${ROLE_DESCRIPTION_MAX} characters` }];
  }
  if (UNSTORABLE_IN_TEXT.test(description)) return [{ path, message: 'must not contain control characters' }];
  return [];
}

/** Case-insensitive identity of a role name: "owner" and "Owner" cannot both exist. */
export const roleNameKey = (name: string) => name.toLowerCase();
