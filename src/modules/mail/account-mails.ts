import type { Mail } from './mailer.js';

/** Mails the account flows send; every one with a link carries exactly one raw token, in its URL. */
export type AccountMailKind =
  | 'confirm_email'
  | 'reset_password'
  | 'change_email'
  | 'email_changed'
  | 'magic_link'
  | 'magic_link_registration'
  | 'already_registered'
  | 'change_email_taken';

/** Where each mailed token is redeemed by the front end, below `PUBLIC_URL` (the front end calls the mutation). */
export const ACCOUNT_LINK_PATHS = {
  confirm_email: '/users/confirm',
  reset_password: '/users/reset-password',
  change_email: '/users/settings/confirm-email',
  magic_link: '/users/magic-link',
  magic_link_registration: '/users/register/magic-link',
} as const satisfies Partial<Record<AccountMailKind, string>>;

export type LinkedMailKind = keyof typeof ACCOUNT_LINK_PATHS;

/** The link a mail carries: `<publicUrl><path>/<token>` (tokens are base64url, so they need no escaping). */
export function accountLink(publicUrl: string, kind: LinkedMailKind, rawToken: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${ACCOUNT_LINK_PATHS[kind]}/${encodeURIComponent(rawToken)}`;
}

type Content = { subject: string; lines: string[]; action?: { label: string; url: string } };

export type AccountMailInput = Readonly<{
  kind: AccountMailKind;
  to: string;
  siteName: string;
  /** The link with the token (required for kinds that have a path in ACCOUNT_LINK_PATHS). */
  url?: string;
  /** The other address of an email change (the new one for `email_changed`). */
  otherEmail?: string;
  /** The site's start page for mails without a token link. */
  siteUrl: string;
}>;

function content(input: AccountMailInput): Content {
  const { siteName, url = '', otherEmail = '', siteUrl } = input;
  switch (input.kind) {
    case 'confirm_email':
      return {
        subject: `Confirm your ${siteName} account`,
        lines: ['Confirm your email address by opening the link below.', 'The link is valid for 7 days.'],
        action: { label: 'Confirm my email', url },
      };
    case 'reset_password':
      return {
        subject: `Reset your ${siteName} password`,
        lines: [
          'Someone asked to reset the password of your account. Open the link below to choose a new one.',
          'The link is valid for 1 hour. If you did not ask for this, ignore this mail.',
        ],
        action: { label: 'Choose a new password', url },
      };
    case 'change_email':
      return {
        subject: `Confirm your new ${siteName} email address`,
        lines: ['Open the link below to make this address the email of your account.', 'The link is valid for 7 days.'],
        action: { label: 'Use this address', url },
      };
    case 'email_changed':
      return {
        subject: `Your ${siteName} email address was changed`,
        lines: [
          `The email address of your account was changed to ${otherEmail}.`,
          'If you did not do this, contact the site administrator.',
        ],
      };
    case 'magic_link':
      return {
        subject: `Your ${siteName} sign-in link`,
        lines: ['Open the link below to sign in.', 'The link is valid for 15 minutes and works once.'],
        action: { label: 'Sign in', url },
      };
    case 'magic_link_registration':
      return {
        subject: `Finish creating your ${siteName} account`,
        lines: ['Open the link below to create your account.', 'The link is valid for 30 minutes.'],
        action: { label: 'Create my account', url },
      };
    case 'already_registered':
      return {
        subject: `You already have a ${siteName} account`,
        lines: [
          'Someone asked to create an account with this address, but it already has one.',
          `Sign in at ${siteUrl}, or ask for a password reset there. If it was not you, ignore this mail.`,
        ],
      };
    case 'change_email_taken':
      return {
        subject: `Your address was given for another ${siteName} account`,
        lines: [
          'Someone asked to move their account to this address, but it already belongs to an account, so nothing changed.',
          'If it was not you, ignore this mail.',
        ],
      };
  }
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** Renders one account mail as plain text and HTML (every interpolated value escaped in the HTML part). */
export function renderAccountMail(input: AccountMailInput): Mail {
  const { subject, lines, action } = content(input);
  if (action && !action.url) throw new Error(`${input.kind} mail needs a url`);
  const text = [
    'Hello,',
    '',
    ...lines,
    ...(action ? ['', `${action.label}: ${action.url}`] : []),
    '',
    `— ${input.siteName}`,
    '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body>',
    '<p>Hello,</p>',
    ...lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    ...(action ? [`<p><a href="${escapeHtml(action.url)}">${escapeHtml(action.label)}</a></p>`] : []),
    `<p>— ${escapeHtml(input.siteName)}</p>`,
    '</body></html>',
  ].join('\n');
  return { to: input.to, subject, text, html };
}
