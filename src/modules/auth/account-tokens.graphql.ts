import { builder } from '../../graphql/builder.js';
import { selectingSomething } from '../../graphql/query.js';
import { ValidationError } from '../../graphql/errors.js';
import { RateLimitedError } from '../rate-limit/rate-limit.errors.js';
import { AuthPayload } from './auth.graphql.js';
import { AccountDisabledError, InvalidCredentialsError, InvalidTokenError } from './auth.errors.js';

const TokenInput = (name: string, description: string) =>
  builder.inputType(name, {
    description,
    fields: (t) => ({ token: t.string({ required: true, description: 'The token from the link in the mail.' }) }),
  });

const EmailInput = (name: string, description: string) =>
  builder.inputType(name, { description, fields: (t) => ({ email: t.string({ required: true }) }) });

const RequestEmailConfirmationInput = builder.inputType('RequestEmailConfirmationInput', {
  fields: (t) => ({ email: t.string({ description: 'Omit to send the link to the signed-in user.' }) }),
});
const ConfirmEmailInput = TokenInput('ConfirmEmailInput', 'A link from the confirmation mail.');
const RequestPasswordResetInput = EmailInput('RequestPasswordResetInput', 'Where to send a password reset link.');
const ResetPasswordInput = builder.inputType('ResetPasswordInput', {
  fields: (t) => ({
    token: t.string({ required: true, description: 'The token from the link in the reset mail.' }),
    password: t.string({ required: true }),
  }),
});
const RequestEmailChangeInput = builder.inputType('RequestEmailChangeInput', {
  fields: (t) => ({
    newEmail: t.string({ required: true }),
    currentPassword: t.string({ required: true }),
  }),
});
const ConfirmEmailChangeInput = TokenInput('ConfirmEmailChangeInput', 'A link from the mail sent to the new address.');
const RequestMagicLinkInput = EmailInput('RequestMagicLinkInput', 'Where to send a sign-in link.');
const LoginWithMagicLinkInput = TokenInput('LoginWithMagicLinkInput', 'A link from the sign-in mail.');
const RequestMagicLinkRegistrationInput = EmailInput(
  'RequestMagicLinkRegistrationInput',
  'Where to send a link that creates an account.',
);
const RegisterWithMagicLinkInput = builder.inputType('RegisterWithMagicLinkInput', {
  fields: (t) => ({
    token: t.string({ required: true, description: 'The token from the link in the registration mail.' }),
    password: t.string({ description: 'Optional: without one, sign in by magic link or a password reset.' }),
    username: t.string({ description: 'Generated from the email when absent.' }),
  }),
});
const ChangePasswordInput = builder.inputType('ChangePasswordInput', {
  fields: (t) => ({
    currentPassword: t.string({ required: true }),
    newPassword: t.string({ required: true }),
  }),
});

const SAME_ANSWER = 'Always `true`, whether or not the address has an account.';

builder.mutationFields((t) => ({
  requestEmailConfirmation: t.boolean({
    description: `Mails an email confirmation link (7 days) to \`email\`, or to the signed-in user. ${SAME_ANSWER}`,
    errors: { types: [ValidationError, RateLimitedError] },
    args: { input: t.arg({ type: RequestEmailConfirmationInput }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.accountTokens.requestEmailConfirmation({ email: input?.email, viewerUuid: ctx.viewer?.uuid }, ctx.client.ip),
  }),
  confirmEmail: t.prismaField({
    type: 'User',
    description: 'Confirms the account the link was sent to; all of its confirmation links stop working.',
    errors: { types: [InvalidTokenError] },
    args: { input: t.arg({ type: ConfirmEmailInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const user = await ctx.services.accountTokens.confirmEmail(input.token);
      ctx.authenticatedNow.add(user.uuid); // the token proved who the caller is
      return ctx.db.user.findUniqueOrThrow({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: user.uuid } });
    },
  }),
  requestPasswordReset: t.boolean({
    description: `Mails a password reset link (1 hour). ${SAME_ANSWER}`,
    errors: { types: [ValidationError, RateLimitedError] },
    args: { input: t.arg({ type: RequestPasswordResetInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.accountTokens.requestPasswordReset(input.email, ctx.client.ip),
  }),
  resetPassword: t.boolean({
    description: 'Sets a new password from a reset link. Every session and link of the account stops working.',
    errors: { types: [InvalidTokenError, ValidationError] },
    args: { input: t.arg({ type: ResetPasswordInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.accountTokens.resetPassword(input.token, input.password),
  }),
  requestEmailChange: t.withAuth({ viewer: true }).boolean({
    description: 'Mails a link (7 days) to the new address; the email changes when it is opened.',
    errors: { types: [ValidationError, InvalidCredentialsError, RateLimitedError] },
    args: { input: t.arg({ type: RequestEmailChangeInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.accountTokens.requestEmailChange(ctx.viewer.uuid, input.newEmail, input.currentPassword),
  }),
  confirmEmailChange: t.prismaField({
    type: 'User',
    description: 'Moves the account to the address the link was sent to (and confirms it).',
    errors: { types: [InvalidTokenError, ValidationError] },
    args: { input: t.arg({ type: ConfirmEmailChangeInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const user = await ctx.services.accountTokens.confirmEmailChange(input.token);
      ctx.authenticatedNow.add(user.uuid); // the token proved who the caller is
      return ctx.db.user.findUniqueOrThrow({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: user.uuid } });
    },
  }),
  requestMagicLink: t.boolean({
    description: `Mails a sign-in link (15 minutes, single use; earlier ones stop working). ${SAME_ANSWER}`,
    errors: { types: [ValidationError, RateLimitedError] },
    args: { input: t.arg({ type: RequestMagicLinkInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.accountTokens.requestMagicLink(input.email, ctx.client.ip),
  }),
  loginWithMagicLink: t.field({
    type: AuthPayload,
    description: 'Signs in with a sign-in link; an unconfirmed account is confirmed by it.',
    errors: { types: [InvalidTokenError, AccountDisabledError] },
    args: { input: t.arg({ type: LoginWithMagicLinkInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.accountTokens.loginWithMagicLink(input.token, ctx.client),
  }),
  requestMagicLinkRegistration: t.boolean({
    description: `Mails a link (30 minutes) that creates an account for the address. ${SAME_ANSWER}`,
    errors: { types: [ValidationError, RateLimitedError] },
    args: { input: t.arg({ type: RequestMagicLinkRegistrationInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.accountTokens.requestMagicLinkRegistration(input.email, ctx.client.ip),
  }),
  registerWithMagicLink: t.field({
    type: AuthPayload,
    description:
      'Creates the (confirmed) account a registration link was sent for, and signs it in (an account created inactive: ' +
      'AccountDisabledError, as for register).',
    errors: { types: [InvalidTokenError, ValidationError, AccountDisabledError, RateLimitedError] },
    args: { input: t.arg({ type: RegisterWithMagicLinkInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.accountTokens.registerWithMagicLink(
        input.token,
        { password: input.password, username: input.username },
        ctx.client,
      ),
  }),
  changePassword: t.withAuth({ viewer: true }).field({
    type: AuthPayload,
    description: 'Changes the password. Every session of the account ends; the returned one replaces the caller\'s.',
    errors: { types: [ValidationError, InvalidCredentialsError, AccountDisabledError, RateLimitedError] },
    args: { input: t.arg({ type: ChangePasswordInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.accountTokens.changePassword(ctx.viewer.uuid, input.currentPassword, input.newPassword, ctx.client),
  }),
}));
