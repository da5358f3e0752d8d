import { randomBytes } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import { Prisma, type User } from '../../generated/prisma/client.js';
import type { ClientInfo } from '../../graphql/context.js';
import { ValidationError, type FieldIssue } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import { accountLink, renderAccountMail, type AccountMailKind, type LinkedMailKind } from '../mail/account-mails.js';
import type { Mailer } from '../mail/mailer.js';
import { RATE_LIMITS, type RateLimitPolicy } from '../rate-limit/policies.js';
import type { RateLimiter } from '../rate-limit/rate-limit.service.js';
import type { SettingsService } from '../settings/setting.service.js';
import { normalizeEmail, normalizePassword, validateEmail, validatePassword } from '../users/domain/validation.js';
import { AccountDisabledError, InvalidCredentialsError, InvalidTokenError } from './auth.errors.js';
import type { RegisterInput, Registration, RegistrationLink, Session } from './auth.service.js';
import { assertSessionAllowed, hashPassword, insertSession, isEmailTaken, lockAccount, signedIn, verifyPassword } from './auth.service.js';
import { changeEmailContext, checkAccountToken, type MailedTokenKind } from './domain/account-token.js';
import { hashToken, newToken, type TokenContext } from './domain/tokens.js';
import { ipLimitSubject } from '../../util/ip.js';

/** What the token flows need from the auth service: the registration rules stay there. */
export type SessionIssuer = {
  register(input: RegisterInput, client: ClientInfo, link?: RegistrationLink): Promise<Registration>;
};

export type AccountTokensDeps = {
  db: Db;
  config: Pick<Config, 'publicUrl' | 'passwordRules'>;
  log: Logger;
  rateLimiter: RateLimiter;
  settings: SettingsService;
  mail: Mailer;
  auth: SessionIssuer;
};

/** The answer to every "send me a mail" request, whether or not the address has an account. */
export const MAIL_REQUESTED = true;

/** Who a mailed token is issued to: the user with this email or uuid. */
type Recipient = { email: string } | { uuid: string };

const isUniqueViolation = (error: unknown) =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';

/** A password nobody knows, meeting any configured rules (accounts made by magic link without a password). */
function unguessablePassword(): string {
  // 72 characters, the longest a password may be (so any minimum is met), with every kind a rule may ask for
  return `${randomBytes(51).toString('base64url')}aA1!`;
}

/**
 * Mailed account tokens (email confirmation, password reset, email change, magic-link sign-in and registration) and
 * password changes. Tokens are stored as SHA-256 only; the raw value exists only in the mail. Requests for an address
 * with no account answer exactly like the others and run the same SQL statements (they just insert nothing);
 * mail goes out without being awaited, so neither the answer nor its timing tells whether an account exists.
 */
export function createAccountTokensService(deps: AccountTokensDeps) {
  const { db, config, log, rateLimiter, settings, mail, auth } = deps;

  async function siteName(): Promise<string> {
    return (await settings.get('project_title')) || 'PhoenixKit';
  }

  /** Sends without waiting: delivery time must not show in the answer; failures are logged. */
  function dispatch(kind: AccountMailKind, to: string, name: string, extra: { url?: string; otherEmail?: string } = {}) {
    const message = renderAccountMail({ kind, to, siteName: name, siteUrl: config.publicUrl, ...extra });
    try {
      mail.send(message).catch((error: unknown) => log.error({ err: error, kind }, 'account mail failed'));
    } catch (error) {
      log.error({ err: error, kind }, 'account mail failed');
    }
  }

  function linkMail(kind: LinkedMailKind, to: string, name: string, raw: string) {
    dispatch(kind, to, name, { url: accountLink(config.publicUrl, kind, raw) });
  }

  function parseEmail(input: string, path = 'email'): string {
    const email = normalizeEmail(input);
    const issues = validateEmail(email, path);
    if (issues.length > 0) throw new ValidationError('Email is invalid', issues);
    return email;
  }

  function assertPassword(password: string, path: string) {
    const issues = validatePassword(normalizePassword(password), config.passwordRules, path);
    if (issues.length > 0) throw new ValidationError('Password is invalid', issues);
  }

  /**
   * Issues a token to a user in one statement: finds the user (with `condition`), optionally revokes their earlier
   * tokens of the same context (then after locking the user's row), and inserts the hash. Returns the address to mail,
   * or null when no user matched.
   */
  async function issueToUser(
    recipient: Recipient,
    context: TokenContext,
    opts: { condition?: Prisma.Sql; revokeEarlier?: boolean },
  ): Promise<{ raw: string; sentTo: string } | null> {
    const { raw, hash } = newToken();
    const match =
      'email' in recipient ? Prisma.sql`email = ${recipient.email}::public.citext` : Prisma.sql`uuid = ${recipient.uuid}::uuid`;
    const revoke = opts.revokeEarlier
      ? Prisma.sql`, revoked AS (
          DELETE FROM phoenix_kit_users_tokens t USING target
           WHERE t.user_uuid = target.uuid AND t.context = ${context})`
      : Prisma.empty;
    const issue = Prisma.sql`
      WITH target AS (
        SELECT uuid, email FROM phoenix_kit_users WHERE ${match} ${opts.condition ?? Prisma.empty}
      )${revoke}
      INSERT INTO phoenix_kit_users_tokens (uuid, user_uuid, token, context, sent_to, inserted_at)
      SELECT ${uuidv7()}::uuid, uuid, ${hash}, ${context}, email::text, now() FROM target
      RETURNING sent_to`;
    const rows = opts.revokeEarlier
      ? await db.$transaction(async (tx) => {
          // Simultaneous requests of one user take turns here; each revoking statement starts after the previous
          // request committed, so it sees (and deletes) that request's token. Within one statement it could not.
          await tx.$queryRaw`SELECT 1 FROM phoenix_kit_users WHERE ${match} FOR NO KEY UPDATE`;
          return tx.$queryRaw<{ sent_to: string }[]>(issue);
        })
      : await db.$queryRaw<{ sent_to: string }[]>(issue);
    const sentTo = rows[0]?.sent_to;
    return sentTo ? { raw, sentTo } : null;
  }

  /** The live token row for `raw` used as `kind`, with its user; anything else is InvalidTokenError. */
  async function findToken(kind: MailedTokenKind, raw: string) {
    const hash = hashToken(raw);
    const row = hash
      ? await db.userToken.findFirst({ where: { token: hash }, include: { user: true }, relationLoadStrategy: 'join' })
      : null;
    const refusal = checkAccountToken(kind, row, row?.user ?? null, new Date());
    if (refusal || !row) {
      log.info({ kind, refusal }, 'account token refused');
      throw new InvalidTokenError();
    }
    return row;
  }

  /** Deletes one token row; false when it was gone already (used by a concurrent request). */
  async function consume(tx: Prisma.TransactionClient, tokenUuid: string): Promise<boolean> {
    const { count } = await tx.userToken.deleteMany({ where: { uuid: tokenUuid } });
    return count === 1;
  }

  async function sendConfirmationTo(recipient: Recipient): Promise<void> {
    const name = await siteName();
    const issued = await issueToUser(recipient, 'confirm', { condition: Prisma.sql`AND confirmed_at IS NULL` });
    if (issued) linkMail('confirm_email', issued.sentTo, name, issued.raw);
  }

  /**
   * Counts a mail request against its per-address `policy` and, when the client's IP is known, against the per-IP limit
   * for such requests (one client asking for mail to many addresses).
   */
  async function limitMail(policy: RateLimitPolicy, email: string, ip: string | null): Promise<void> {
    if (ip) await rateLimiter.hit(RATE_LIMITS.mailPerIp, ipLimitSubject(ip));
    await rateLimiter.hit(policy, email);
  }

  return {
    /** Mails a confirmation link to a newly registered user when `require_email_confirmation` is on and they are unconfirmed. */
    async sendConfirmation(user: Pick<User, 'uuid' | 'confirmedAt'>): Promise<void> {
      if (user.confirmedAt || !(await settings.getBoolean('require_email_confirmation'))) return;
      await sendConfirmationTo({ uuid: user.uuid });
    },

    /** Mails a confirmation link to `email`, or to the signed-in user when no email is given. */
    async requestEmailConfirmation(input: { email?: string | null; viewerUuid?: string | null }, ip: string | null): Promise<boolean> {
      let email: string;
      if (input.email != null) {
        email = parseEmail(input.email);
      } else if (input.viewerUuid) {
        email = (await db.user.findUniqueOrThrow({ where: { uuid: input.viewerUuid }, select: { email: true } })).email;
      } else {
        throw new ValidationError('Email is invalid', [{ path: 'email', message: 'is required' }]);
      }
      await limitMail(RATE_LIMITS.confirmation, email, ip);
      await sendConfirmationTo({ email });
      return MAIL_REQUESTED;
    },

    /** Marks the account confirmed and deletes all of its confirmation tokens. */
    async confirmEmail(raw: string): Promise<User> {
      const row = await findToken('confirm', raw);
      const userUuid = row.userUuid as string;
      return db.$transaction(async (tx) => {
        await lockAccount(tx, userUuid, 'write');
        if (!(await consume(tx, row.uuid))) throw new InvalidTokenError();
        await tx.userToken.deleteMany({ where: { userUuid, context: 'confirm' } });
        return tx.user.update({ where: { uuid: userUuid }, data: { confirmedAt: row.user?.confirmedAt ?? new Date() } });
      });
    },

    async requestPasswordReset(emailInput: string, ip: string | null): Promise<boolean> {
      const email = parseEmail(emailInput);
      await limitMail(RATE_LIMITS.passwordReset, email, ip);
      const name = await siteName();
      const issued = await issueToUser({ email }, 'reset_password', {});
      if (issued) linkMail('reset_password', issued.sentTo, name, issued.raw);
      return MAIL_REQUESTED;
    },

    /** Sets a new password from a reset link; every token of the user (sessions included) is deleted. */
    async resetPassword(raw: string, password: string): Promise<boolean> {
      assertPassword(password, 'password');
      const row = await findToken('reset_password', raw);
      const userUuid = row.userUuid as string;
      const hashedPassword = await hashPassword(password);
      await db.$transaction(async (tx) => {
        // the user's row before the token: a simultaneous reset with another link then finds its token deleted
        await lockAccount(tx, userUuid, 'write');
        if (!(await consume(tx, row.uuid))) throw new InvalidTokenError();
        await tx.user.update({ where: { uuid: userUuid }, data: { hashedPassword } });
        await tx.userToken.deleteMany({ where: { userUuid } });
      });
      log.info({ userUuid }, 'password reset');
      return true;
    },

    /**
     * Mails a link to the new address that moves the account there. If the address already has an account, that
     * address gets a notice instead; the caller sees the same answer either way.
     */
    async requestEmailChange(userUuid: string, newEmailInput: string, currentPassword: string): Promise<boolean> {
      const newEmail = normalizeEmail(newEmailInput);
      const user = await db.user.findUniqueOrThrow({ where: { uuid: userUuid } });
      const issues: FieldIssue[] = validateEmail(newEmail, 'newEmail');
      if (issues.length === 0 && newEmail.toLowerCase() === user.email.toLowerCase()) {
        issues.push({ path: 'newEmail', message: 'is already the email of this account' });
      }
      if (issues.length > 0) throw new ValidationError('Email is invalid', issues);
      await rateLimiter.hit(RATE_LIMITS.loginPerEmail, user.email); // guards the password check
      await rateLimiter.hit(RATE_LIMITS.confirmation, newEmail); // guards mail to the new address
      if (!(await verifyPassword(user.hashedPassword, currentPassword))) throw new InvalidCredentialsError();
      const name = await siteName();
      const { raw, hash } = newToken();
      const rows = await db.$queryRaw<{ uuid: string }[]>`
        INSERT INTO phoenix_kit_users_tokens (uuid, user_uuid, token, context, sent_to, inserted_at)
        SELECT ${uuidv7()}::uuid, ${user.uuid}::uuid, ${hash}, ${changeEmailContext(user.email)}, ${newEmail}, now()
         WHERE NOT EXISTS (SELECT 1 FROM phoenix_kit_users WHERE email = ${newEmail}::public.citext)
        RETURNING uuid`;
      if (rows.length > 0) linkMail('change_email', newEmail, name, raw);
      else dispatch('change_email_taken', newEmail, name);
      return MAIL_REQUESTED;
    },

    /** Moves the account to the address the link was sent to (which confirms it); the old address is told. */
    async confirmEmailChange(raw: string): Promise<User> {
      const row = await findToken('change', raw);
      const userUuid = row.userUuid as string;
      const newEmail = row.sentTo as string;
      const oldEmail = row.user?.email as string;
      let user: User;
      try {
        user = await db.$transaction(async (tx) => {
          await lockAccount(tx, userUuid, 'write');
          if (!(await consume(tx, row.uuid))) throw new InvalidTokenError();
          const updated = await tx.user.update({ where: { uuid: userUuid }, data: { email: newEmail, confirmedAt: new Date() } });
          // every other mailed token went to the old address or to another requested one
          await tx.userToken.deleteMany({ where: { userUuid, context: { not: 'session' } } });
          return updated;
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        throw new ValidationError('Email is invalid', [{ path: 'email', message: 'has already been taken' }]);
      }
      log.info({ userUuid }, 'email changed');
      dispatch('email_changed', oldEmail, await siteName(), { otherEmail: newEmail });
      return user;
    },

    /** Mails a sign-in link; earlier magic links of the user stop working. */
    async requestMagicLink(emailInput: string, ip: string | null): Promise<boolean> {
      const email = parseEmail(emailInput);
      if (!(await settings.getBoolean('magic_link_login_enabled'))) {
        throw new ValidationError('Magic-link sign-in is disabled', [{ path: 'email', message: 'magic-link sign-in is disabled' }]);
      }
      await limitMail(RATE_LIMITS.magicLink, email, ip);
      const name = await siteName();
      const issued = await issueToUser({ email }, 'magic_link', { condition: Prisma.sql`AND is_active`, revokeEarlier: true });
      if (issued) linkMail('magic_link', issued.sentTo, name, issued.raw);
      return MAIL_REQUESTED;
    },

    /** Signs in with a magic link (single use); an unconfirmed account is confirmed by it. */
    async loginWithMagicLink(raw: string, client: ClientInfo): Promise<Session> {
      const row = await findToken('magic_link', raw);
      if (!(await settings.getBoolean('magic_link_login_enabled'))) throw new InvalidTokenError();
      if (!row.user?.isActive) throw new AccountDisabledError();
      const current = row.user;
      return db.$transaction(async (tx) => {
        // one transaction with the session: a deactivation or password change now either came first (the link is
        // gone or the account refused) or waits and then deletes the session
        const now = await lockAccount(tx, current.uuid, 'write');
        if (!(await consume(tx, row.uuid))) throw new InvalidTokenError();
        assertSessionAllowed(now, current.hashedPassword);
        const user = current.confirmedAt
          ? current
          : await tx.user.update({ where: { uuid: current.uuid }, data: { confirmedAt: new Date() } });
        return { token: await insertSession(tx, user.uuid, client), user };
      });
    },

    /** Mails a link that creates an account for `email`; an address that has one gets a notice instead. */
    async requestMagicLinkRegistration(emailInput: string, ip: string | null): Promise<boolean> {
      const email = parseEmail(emailInput);
      const [enabled, open] = await Promise.all([
        settings.getBoolean('magic_link_registration_enabled'),
        settings.getBoolean('allow_registration'),
      ]);
      if (!enabled || !open) {
        throw new ValidationError('Registration is closed', [{ path: 'email', message: 'registration is closed' }]);
      }
      await limitMail(RATE_LIMITS.magicLink, email, ip);
      const name = await siteName();
      const { raw, hash } = newToken();
      const rows = await db.$queryRaw<{ uuid: string }[]>`
        INSERT INTO phoenix_kit_users_tokens (uuid, user_uuid, token, context, sent_to, inserted_at)
        SELECT ${uuidv7()}::uuid, NULL, ${hash}, 'magic_link_registration', ${email}, now()
         WHERE NOT EXISTS (SELECT 1 FROM phoenix_kit_users WHERE email = ${email}::public.citext)
        RETURNING uuid`;
      if (rows.length > 0) linkMail('magic_link_registration', email, name, raw);
      else dispatch('already_registered', email, name);
      return MAIL_REQUESTED;
    },

    /**
     * Creates the account a registration link was sent for (the registration rules of `register` apply), confirmed,
     * and signs it in. Without a password the account gets an unguessable one (sign in by magic link or reset).
     */
    async registerWithMagicLink(
      raw: string,
      input: { password?: string | null; username?: string | null },
      client: ClientInfo,
    ): Promise<Session> {
      const row = await findToken('magic_link_registration', raw);
      if (!(await settings.getBoolean('magic_link_registration_enabled'))) throw new InvalidTokenError();
      const claim = async (tx: Prisma.TransactionClient) => {
        if (!(await consume(tx, row.uuid))) throw new InvalidTokenError();
      };
      const registration = await auth
        .register(
          { email: row.sentTo as string, password: input.password ?? unguessablePassword(), username: input.username },
          client,
          { claim },
        )
        .catch((error: unknown) => {
          // the address has an account made otherwise since the link was sent: the link is of no use any more
          throw isEmailTaken(error) ? new InvalidTokenError() : error;
        });
      return signedIn(registration);
    },

    /**
     * Changes the signed-in user's password after checking the current one. Every token of the user (all sessions
     * included) is deleted, and a new session is returned so the caller stays signed in.
     */
    async changePassword(userUuid: string, currentPassword: string, newPassword: string, client: ClientInfo): Promise<Session> {
      assertPassword(newPassword, 'newPassword');
      const user = await db.user.findUniqueOrThrow({ where: { uuid: userUuid } });
      await rateLimiter.hit(RATE_LIMITS.loginPerEmail, user.email);
      if (!(await verifyPassword(user.hashedPassword, currentPassword))) throw new InvalidCredentialsError();
      if (await verifyPassword(user.hashedPassword, newPassword)) {
        throw new ValidationError('Password is invalid', [{ path: 'newPassword', message: 'must differ from the current password' }]);
      }
      const hashedPassword = await hashPassword(newPassword);
      const session = await db.$transaction(async (tx) => {
        // a simultaneous change (or deactivation) may have committed since the check: then currentPassword is no
        // longer the account's, and this change must not win too
        assertSessionAllowed(await lockAccount(tx, userUuid, 'write'), user.hashedPassword);
        const updated = await tx.user.update({ where: { uuid: userUuid }, data: { hashedPassword } });
        await tx.userToken.deleteMany({ where: { userUuid } });
        return { token: await insertSession(tx, userUuid, client), user: updated };
      });
      log.info({ userUuid }, 'password changed');
      return session;
    },
  };
}

export type AccountTokensService = ReturnType<typeof createAccountTokensService>;
