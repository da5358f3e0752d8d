import type { PasswordRules } from '../../../config.js';
import type { FieldIssue } from '../../../graphql/errors.js';
import { isStorableText } from '../../../util/text.js';
import { USERNAME_MAX, USERNAME_MIN, USERNAME_PATTERN } from './username.js';

export const EMAIL_MAX = 160;
export const PASSWORD_MAX_BYTES = 72;
export const NAME_MAX = 100;

// no whitespace or control characters anywhere, exactly one @ with something on both sides and a dot in the domain
const EMAIL_PATTERN = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;

/** Trims surrounding whitespace and NFC-normalises; the database compares case-insensitively (citext). */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC');
}

export function validateEmail(email: string, path = 'email'): FieldIssue[] {
  if (email.length === 0) return [{ path, message: 'is required' }];
  if (email.length > EMAIL_MAX) return [{ path, message: `must be at most ${EMAIL_MAX} characters` }];
  if (!EMAIL_PATTERN.test(email)) return [{ path, message: 'must have the @ sign and no spaces' }];
  // zero-width and direction controls (format characters) and other characters shown as nothing (Hangul fillers,
  // variation selectors, the combining grapheme joiner) make an address that looks like another one
  if (/[\p{Cf}\p{Default_Ignorable_Code_Point}]/u.test(email)) {
    return [{ path, message: 'must not contain invisible or text-direction characters' }];
  }
  // an unpaired surrogate would be stored as U+FFFD: another address than the one typed
  if (!isStorableText(email)) return [{ path, message: 'contains characters that cannot be stored' }];
  return [];
}

/** Passwords are compared after NFC normalisation, so the same text typed on two keyboards matches. */
export function normalizePassword(password: string): string {
  return password.normalize('NFC');
}

export function validatePassword(password: string, rules: PasswordRules, path = 'password'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const bytes = Buffer.byteLength(password, 'utf8');
  if ([...password].length < rules.minLength) issues.push({ path, message: `must be at least ${rules.minLength} characters` });
  if (bytes > PASSWORD_MAX_BYTES) issues.push({ path, message: `must be at most ${PASSWORD_MAX_BYTES} bytes` });
  if (/\p{Cc}/u.test(password)) issues.push({ path, message: 'must not contain control characters' });
  if (rules.requireUppercase && !/[A-Z]/.test(password)) issues.push({ path, message: 'must contain an upper-case letter' });
  if (rules.requireLowercase && !/[a-z]/.test(password)) issues.push({ path, message: 'must contain a lower-case letter' });
  if (rules.requireDigit && !/[0-9]/.test(password)) issues.push({ path, message: 'must contain a digit' });
  if (rules.requireSpecial && !/[!?@#$%^&*_]/.test(password)) {
    issues.push({ path, message: 'must contain one of ! ? @ # $ % ^ & * _' });
  }
  return issues;
}

export function validateUsername(username: string, path = 'username'): FieldIssue[] {
  if (username.length < USERNAME_MIN || username.length > USERNAME_MAX) {
    return [{ path, message: `must be ${USERNAME_MIN} to ${USERNAME_MAX} characters` }];
  }
  if (!USERNAME_PATTERN.test(username)) {
    return [{ path, message: 'must start with a letter and contain only letters, digits and underscores' }];
  }
  return [];
}

export function validateName(name: string, path: string): FieldIssue[] {
  if ([...name].length > NAME_MAX) return [{ path, message: `must be at most ${NAME_MAX} characters` }];
  if (/\p{Cc}/u.test(name)) return [{ path, message: 'must not contain control characters' }];
  if (!isStorableText(name)) return [{ path, message: 'contains characters that cannot be stored' }];
  return [];
}

const OFFSET = /^([+-])?(\d{1,2})(?::([0-5]\d)|\.(\d{1,2}))?$/;

/** An IANA zone name (e.g. "Europe/Tallinn") or a UTC offset between -12 and +14 ("+05:45", "-3.5", "0"). */
export function validateTimezone(value: string, path = 'userTimezone'): FieldIssue[] {
  if (value.length > 64) return [{ path, message: 'must be at most 64 characters' }];
  const offset = OFFSET.exec(value);
  if (offset) {
    const [, sign, hours, minutes, fraction] = offset;
    const magnitude = Number(hours) + (minutes ? Number(minutes) / 60 : fraction ? Number(`0.${fraction}`) : 0);
    const hoursValue = sign === '-' ? -magnitude : magnitude;
    return hoursValue >= -12 && hoursValue <= 14 ? [] : [{ path, message: 'offset must be between -12 and +14' }];
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(value) ? [] : [{ path, message: 'is not a time zone' }];
  } catch {
    return [{ path, message: 'is not an IANA time zone or UTC offset' }];
  }
}
