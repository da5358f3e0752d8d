import { createHash } from 'node:crypto';
import type { App } from '../../src/app.js';
import type { Mail, Mailer } from '../../src/modules/mail/mailer.js';

/** Plain GraphQL POST answering the raw text and its parse (documents here are not in test/gql). */
export async function gql(app: App, query: string, variables: unknown = {}, headers: Record<string, string> = {}) {
  const response = await app.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { text, json: JSON.parse(text) as { data?: Record<string, any>; errors?: unknown[] } };
}

export const Q = {
  reset: `mutation R($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) { __typename
    ... on MutationRequestPasswordResetSuccess { data } ... on Error { message code } ... on RateLimitedError { retryAfterSeconds } } }`,
  magic: `mutation M($input: RequestMagicLinkInput!) { requestMagicLink(input: $input) { __typename
    ... on MutationRequestMagicLinkSuccess { data } ... on Error { message code } ... on RateLimitedError { retryAfterSeconds } } }`,
  confirm: `mutation C($input: RequestEmailConfirmationInput) { requestEmailConfirmation(input: $input) { __typename
    ... on MutationRequestEmailConfirmationSuccess { data } ... on Error { message code } ... on RateLimitedError { retryAfterSeconds } } }`,
  regLink: `mutation RL($input: RequestMagicLinkRegistrationInput!) { requestMagicLinkRegistration(input: $input) { __typename
    ... on MutationRequestMagicLinkRegistrationSuccess { data } ... on Error { message code } ... on RateLimitedError { retryAfterSeconds } } }`,
  registerLink: `mutation RW($input: RegisterWithMagicLinkInput!) { registerWithMagicLink(input: $input) { __typename
    ... on MutationRegisterWithMagicLinkSuccess { data { token user { uuid email username confirmedAt isActive roles { name } } } }
    ... on Error { message code } ... on ValidationError { issues { path message } } ... on RateLimitedError { retryAfterSeconds } } }`,
  register: `mutation Reg($input: RegisterInput!) { register(input: $input) { __typename
    ... on MutationRegisterSuccess { data { token user { uuid email username } } }
    ... on Error { message code } ... on ValidationError { issues { path message } } ... on RateLimitedError { retryAfterSeconds } } }`,
  login: `mutation L($input: LoginInput!) { login(input: $input) { __typename
    ... on MutationLoginSuccess { data { token user { uuid email } } } ... on Error { message code } ... on RateLimitedError { retryAfterSeconds } } }`,
  loginMagic: `mutation LM($input: LoginWithMagicLinkInput!) { loginWithMagicLink(input: $input) { __typename
    ... on MutationLoginWithMagicLinkSuccess { data { token user { uuid email } } } ... on Error { message code } } }`,
  me: `query Me { me { uuid email username confirmedAt roles { name } } }`,
};

export const kinds = [
  ['requestPasswordReset', Q.reset],
  ['requestMagicLink', Q.magic],
  ['requestEmailConfirmation', Q.confirm],
  ['requestMagicLinkRegistration', Q.regLink],
] as const;

export function captureMail() {
  const sent: Mail[] = [];
  const mailer: Mailer = {
    async send(mail) {
      sent.push(mail);
    },
  };
  return { sent, mailer };
}

export const TOKEN_IN_LINK = /\/users\/[a-z/-]+\/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;

export function tokenFrom(mails: Mail[], to: string, path: string): string {
  const mail = mails.filter((m) => m.to.toLowerCase() === to.toLowerCase() && m.text.includes(path)).at(-1);
  const raw = mail ? TOKEN_IN_LINK.exec(mail.text)?.[1] : undefined;
  if (!raw) throw new Error(`no ${path} mail to ${to} among ${mails.length}`);
  return raw;
}

export const sha256 = (raw: string) => createHash('sha256').update(raw, 'utf8').digest();

let ipCounter = 0;
/** A fresh private IPv4 address per call, so tests do not share per-IP windows. */
export function freshIp(): string {
  ipCounter++;
  const r = () => 1 + Math.floor(Math.random() * 254);
  return `10.${r()}.${r()}.${(ipCounter % 254) + 1}`;
}
export const fromIp = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });
