import { describe, expect, test } from 'vitest';
import { changeEmailContext, checkAccountToken, type MailedTokenKind, type StoredAccountToken } from './account-token.js';

const now = new Date('2025-06-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const owner = { email: 'Ann@Example.com' };

const token = (context: string, o: Partial<StoredAccountToken> = {}): StoredAccountToken => ({
  context,
  sentTo: 'Ann@Example.com',
  userUuid: 'u1',
  insertedAt: ago(MIN),
  ...o,
});

type Row = [string, MailedTokenKind, StoredAccountToken | null, { email: string } | null, ReturnType<typeof checkAccountToken>];

const cases: Row[] = [
  ['no token', 'confirm', null, owner, 'missing'],
  ['confirm ok', 'confirm', token('confirm'), owner, null],
  ['confirm sent to the same address in another case', 'confirm', token('confirm', { sentTo: 'ann@example.COM' }), owner, null],
  ['confirm used as reset', 'reset_password', token('confirm'), owner, 'wrong_context'],
  ['session used as magic link', 'magic_link', token('session'), owner, 'wrong_context'],
  ['confirm just under 7 days', 'confirm', token('confirm', { insertedAt: ago(7 * DAY - MIN) }), owner, null],
  ['confirm after 7 days', 'confirm', token('confirm', { insertedAt: ago(7 * DAY) }), owner, 'expired'],
  ['confirm for an address the account no longer has', 'confirm', token('confirm', { sentTo: 'old@example.com' }), owner, 'recipient_changed'],
  ['confirm without an owner', 'confirm', token('confirm'), null, 'no_user'],
  ['reset within the hour', 'reset_password', token('reset_password', { insertedAt: ago(59 * MIN) }), owner, null],
  ['reset after an hour', 'reset_password', token('reset_password', { insertedAt: ago(HOUR) }), owner, 'expired'],
  ['reset with no sent_to', 'reset_password', token('reset_password', { sentTo: null }), owner, 'recipient_changed'],
  ['magic link within 15 min', 'magic_link', token('magic_link', { insertedAt: ago(14 * MIN) }), owner, null],
  ['magic link after 15 min', 'magic_link', token('magic_link', { insertedAt: ago(15 * MIN) }), owner, 'expired'],
  ['magic link to another address', 'magic_link', token('magic_link', { sentTo: 'x@example.com' }), owner, 'recipient_changed'],
  ['registration link within 30 min', 'magic_link_registration', token('magic_link_registration', { userUuid: null, insertedAt: ago(29 * MIN) }), null, null],
  ['registration link after 30 min', 'magic_link_registration', token('magic_link_registration', { userUuid: null, insertedAt: ago(30 * MIN) }), null, 'expired'],
  ['registration link bound to a user', 'magic_link_registration', token('magic_link_registration'), owner, 'no_user'],
  ['registration link used as magic link', 'magic_link', token('magic_link_registration', { userUuid: null }), owner, 'wrong_context'],
  ['change ok (new address in sent_to)', 'change', token(changeEmailContext('ann@example.com'), { sentTo: 'new@example.com' }), owner, null],
  ['change after 7 days', 'change', token(changeEmailContext('Ann@Example.com'), { insertedAt: ago(7 * DAY) }), owner, 'expired'],
  ['change issued for an address since replaced', 'change', token(changeEmailContext('older@example.com')), owner, 'recipient_changed'],
  ['change without an owner', 'change', token(changeEmailContext('Ann@Example.com')), null, 'no_user'],
  ['confirm used as change', 'change', token('confirm'), owner, 'wrong_context'],
  ['change used as confirm', 'confirm', token(changeEmailContext('Ann@Example.com')), owner, 'wrong_context'],
];

describe('checkAccountToken', () => {
  test.each(cases)('%s', (_name, kind, stored, who, expected) => {
    expect(checkAccountToken(kind, stored, who, now)).toBe(expected);
  });

  test('the change context carries the old address verbatim', () => {
    expect(changeEmailContext('Ann@Example.com')).toBe('change:Ann@Example.com');
  });
});
