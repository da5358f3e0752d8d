import anyAscii from 'any-ascii';

export const USERNAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]*$/;
export const USERNAME_MIN = 3;
export const USERNAME_MAX = 30;

/**
 * The base username for an email (reference rule): local part, transliterated to ASCII, lower-cased, dots to
 * underscores, other characters dropped, at most 30 chars; `user_` prefix when it does not start with a letter;
 * `_1` appended when shorter than 3. Null when the email has no local part.
 */
export function usernameBaseFromEmail(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at <= 0) return null;
  let base = anyAscii(email.slice(0, at))
    .toLowerCase()
    .replaceAll('.', '_')
    .replace(/[^a-z0-9_]/g, '')
    .slice(0, USERNAME_MAX);
  if (!/^[a-z]/.test(base)) base = `user_${base.slice(0, USERNAME_MAX - 5)}`;
  if (base.length < USERNAME_MIN) base = `${base}_1`;
  return base;
}

/** Candidates in the order they are tried: `base`, `base_1`, `base_2`, … (each cut to stay within 30 chars). */
export function usernameCandidate(base: string, attempt: number): string {
  if (attempt === 0) return base;
  const suffix = `_${attempt}`;
  return `${base.slice(0, USERNAME_MAX - suffix.length)}${suffix}`;
}

/**
 * What every candidate of `base` starts with, up to `base_9999999`: a long base is cut to fit its suffix, so its
 * candidates (and those of other bases cut to the same start) are found by this prefix, not by the whole base.
 */
export function usernameStem(base: string): string {
  return base.slice(0, USERNAME_MAX - '_9999999'.length);
}

/** Advisory-lock key serialising the choice of generated names sharing a stem (see `freeUsername`). */
export function usernameLockKey(base: string): string {
  return `phoenix_kit_username:${usernameStem(base).toLowerCase()}`;
}
