import { isTokenLive, type TokenContext } from './tokens.js';

/** The kinds of mailed token a client can present; `change` stands for every `change:<old email>` context. */
export type MailedTokenKind = 'confirm' | 'reset_password' | 'magic_link' | 'magic_link_registration' | 'change';

export type StoredAccountToken = Readonly<{
  context: string;
  sentTo: string | null;
  userUuid: string | null;
  insertedAt: Date;
}>;

/** Why a presented token is refused (for logs only: the client always gets the same InvalidTokenError). */
export type TokenRefusal = 'missing' | 'wrong_context' | 'expired' | 'no_user' | 'recipient_changed';

const sameAddress = (a: string | null, b: string | null) => a !== null && b !== null && a.toLowerCase() === b.toLowerCase();

/** The context a change-email token carries: the address being replaced, so the link dies once the email changes. */
export function changeEmailContext(oldEmail: string): TokenContext {
  return `change:${oldEmail}`;
}

/**
 * Decides whether a stored token may be used as `kind` by `owner` (the user it belongs to, null if none): the
 * context matches, it is within its lifetime, and it was sent to the address the account still has (confirm, reset,
 * magic link), or was issued for the address the account still has (change email).
 */
export function checkAccountToken(
  kind: MailedTokenKind,
  token: StoredAccountToken | null,
  owner: Readonly<{ email: string }> | null,
  now: Date,
): TokenRefusal | null {
  if (!token) return 'missing';
  const isChange = token.context.startsWith('change:');
  if (kind === 'change' ? !isChange : token.context !== kind) return 'wrong_context';
  if (!isTokenLive(token.context as TokenContext, token.insertedAt, now)) return 'expired';
  if (kind === 'magic_link_registration') {
    return token.userUuid === null && token.sentTo ? null : 'no_user';
  }
  if (!owner || token.userUuid === null) return 'no_user';
  if (kind === 'change') {
    return sameAddress(token.context.slice('change:'.length), owner.email) ? null : 'recipient_changed';
  }
  return sameAddress(token.sentTo, owner.email) ? null : 'recipient_changed';
}
