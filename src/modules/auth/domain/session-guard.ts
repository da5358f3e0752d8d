/** What a new session depends on in the user's row. */
export type AccountState = { hashedPassword: string | null; isActive: boolean };

export type SessionRefusal = 'credentials_changed' | 'disabled';

/**
 * Whether a session may start for the account as it is now (re-read under lock just before the session is stored),
 * given the password hash the caller checked: not when the password changed since (or the account is gone), nor when
 * the account was switched off.
 */
export function sessionRefusal(now: AccountState | null, checkedHash: string | null): SessionRefusal | null {
  if (!now || now.hashedPassword !== checkedHash) return 'credentials_changed';
  if (!now.isActive) return 'disabled';
  return null;
}
