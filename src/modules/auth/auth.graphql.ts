import { builder } from '../../graphql/builder.js';
import { selectingSomething } from '../../graphql/query.js';
import { exposeError } from '../../graphql/error-types.js';
import { ValidationError } from '../../graphql/errors.js';
import { RateLimitedError } from '../rate-limit/rate-limit.errors.js';
import { AccountDisabledError, InvalidCredentialsError, InvalidTokenError } from './auth.errors.js';
import { signedIn, type Session } from './auth.service.js';

exposeError(InvalidCredentialsError);
exposeError(AccountDisabledError);
exposeError(InvalidTokenError);

export const AuthPayload = builder.objectRef<Session>('AuthPayload').implement({
  description: 'A new session: send `token` as `Authorization: Bearer <token>`.',
  fields: (t) => ({
    token: t.exposeString('token'),
    user: t.prismaField({
      type: 'User',
      resolve: (query, session, _args, ctx) => {
        ctx.authenticatedNow.add(session.user.uuid);
        return ctx.db.user.findUniqueOrThrow({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: session.user.uuid } });
      },
    }),
  }),
});

const RegisterInput = builder.inputType('RegisterInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    password: t.string({ required: true }),
    username: t.string({ description: 'Generated from the email when absent.' }),
  }),
});

const LoginInput = builder.inputType('LoginInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    password: t.string({ required: true }),
  }),
});

builder.mutationFields((t) => ({
  register: t.field({
    type: AuthPayload,
    description:
      'Creates an account and signs it in. The first account becomes the Owner. An account created inactive ' +
      '(setting new_user_default_status "false") is not signed in: AccountDisabledError until an administrator activates it.',
    errors: { types: [ValidationError, AccountDisabledError, RateLimitedError] },
    args: { input: t.arg({ type: RegisterInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const registration = await ctx.services.auth.register(input, ctx.client);
      await ctx.services.accountTokens.sendConfirmation(registration.user);
      return signedIn(registration);
    },
  }),
  login: t.field({
    type: AuthPayload,
    errors: { types: [InvalidCredentialsError, AccountDisabledError, RateLimitedError] },
    args: { input: t.arg({ type: LoginInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.auth.login(input, ctx.client),
  }),
  logout: t.withAuth({ viewer: true }).boolean({
    description: 'Ends the session this request was made with.',
    resolve: async (_root, _args, ctx) => {
      if (ctx.viewer.sessionTokenHash) await ctx.services.auth.logout(ctx.viewer.sessionTokenHash);
      return true;
    },
  }),
}));
