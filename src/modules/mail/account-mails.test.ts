import { describe, expect, test } from 'vitest';
import { accountLink, renderAccountMail, type AccountMailKind, type LinkedMailKind } from './account-mails.js';

const TOKEN = 'AbC_-0123456789abcdefghijklmnopqrstuvwxyzAB';
const base = { to: 'ann@example.com', siteName: 'Kit <&> "Co"', siteUrl: 'https://kit.example' };

describe('accountLink', () => {
  test.each<[LinkedMailKind, string, string]>([
    ['confirm_email', 'https://kit.example', `https://kit.example/users/confirm/${TOKEN}`],
    ['reset_password', 'https://kit.example/', `https://kit.example/users/reset-password/${TOKEN}`],
    ['change_email', 'https://kit.example/app', `https://kit.example/app/users/settings/confirm-email/${TOKEN}`],
    ['magic_link', 'http://localhost:4000', `http://localhost:4000/users/magic-link/${TOKEN}`],
    ['magic_link_registration', 'https://kit.example', `https://kit.example/users/register/magic-link/${TOKEN}`],
  ])('%s under %s', (kind, publicUrl, expected) => {
    expect(accountLink(publicUrl, kind, TOKEN)).toBe(expected);
  });
});

describe('renderAccountMail', () => {
  test.each<[AccountMailKind, RegExp]>([
    ['confirm_email', /^Confirm your Kit/],
    ['reset_password', /^Reset your Kit/],
    ['change_email', /^Confirm your new Kit/],
    ['magic_link', /^Your Kit .* sign-in link$/],
    ['magic_link_registration', /^Finish creating your Kit/],
  ])('%s carries its link once in text and html, with the site name escaped in html', (kind, subject) => {
    const url = accountLink('https://kit.example', kind as LinkedMailKind, TOKEN);
    const mail = renderAccountMail({ ...base, kind, url });
    expect(mail.to).toBe('ann@example.com');
    expect(mail.subject).toMatch(subject);
    expect(mail.text.split(url)).toHaveLength(2);
    expect(mail.html?.split(`href="${url}"`)).toHaveLength(2);
    expect(mail.html).toContain('Kit &lt;&amp;&gt; &quot;Co&quot;');
    expect(mail.html).not.toContain('<&>');
  });

  test.each<[AccountMailKind, string]>([
    ['email_changed', 'changed to new@example.com'],
    ['already_registered', 'https://kit.example'],
    ['change_email_taken', 'already belongs to an account'],
  ])('%s has no token link', (kind, expected) => {
    const mail = renderAccountMail({ ...base, kind, otherEmail: 'new@example.com' });
    expect(mail.text).toContain(expected);
    expect(mail.text).not.toMatch(/\/users\//);
  });

  test('a linked mail without its url is a programming error', () => {
    expect(() => renderAccountMail({ ...base, kind: 'magic_link' })).toThrow(/needs a url/);
  });
});
