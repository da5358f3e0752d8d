import { hash, verify } from '@node-rs/argon2';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { Sql } from '../../db/sql.js';
import type { ClientInfo, Viewer } from '../../graphql/context.js';
import { ValidationError, type FieldIssue } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import { Prisma, type User } from '../../generated/prisma/client.js';
import { RATE_LIMITS } from '../rate-limit/policies.js';
import { isPrivilegedRole } from '../roles/domain/role-rules.js';
import type { RateLimiter } from '../rate-limit/rate-limit.service.js';
import type { SettingsService } from '../settings/setting.service.js';
import { usernameBaseFromEmail, usernameCandidate, usernameLockKey, usernameStem } from '../users/domain/username.js';
import {
  normalizeEmail,
  normalizePassword,
  validateEmail,
  validatePassword,
  validateUsername,
} from '../users/domain/validation.js';
import { AccountDisabledError, InvalidCredentialsError } from './auth.errors.js';
import { sessionRefusal, type AccountState } from './domain/session-guard.js';
import { compareFingerprint, hashToken, isTokenLive, newToken, tokenLifetimeMs, userAgentHash, type TokenContext, type TokenHash } from './domain/tokens.js';
import { OWNER_GUARD_LOCK, viewerFromRoles } from './domain/viewer.js';
import { isStorableText } from '../../util/text.js';
import { ipLimitSubject } from '../../util/ip.js';

export type AuthServiceDeps = {
  db: Db;
  /** The same database through hand-written statements (the per-request session lookup). */
  sql: Pick<Sql, 'query'>;
  config: Pick<Config, 'passwordRules' | 'sessionFingerprintStrict'>;
  log: Logger;
  rateLimiter: RateLimiter;
  settings: SettingsService;
  geo?: { lookup(ip: string): Promise<GeoLocation | null> };
};

export type GeoLocation = { country: string | null; region: string | null; city: string | null };
export type RegisterInput = { email: string; password: string; username?: string | null };
export type LoginInput = { email: string; password: string };
export type Session = { token: string; user: User };
/** A registration link being used: `claim` uses it up inside the new account's transaction, or throws. */
export type RegistrationLink = { claim(tx: Prisma.TransactionClient): Promise<void> };
/** A new account; `token` is null when it was created inactive (it may sign in once an administrator activates it). */
export type Registration = { token: string | null; user: User };

/** The session a registration signed in, or `AccountDisabledError` for an account created inactive. */
export function signedIn(registration: Registration): Session {
  const { token, user } = registration;
  if (token === null) throw new AccountDisabledError('The account was created and awaits activation by an administrator');
  return { token, user };
}

const ARGON2 = { algorithm: 2 /* argon2id */ } as const;
/** Verified against when the email is unknown, so a miss costs as much time as a wrong password. */
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$lHJHCfwFJCh0/SxEdDEXvA$L6XDiUy71suyQ0A6mlCSlrR1Z+jq2X5cSsXNTQ5HFR8';

export function hashPassword(password: string): Promise<string> {
  return hash(normalizePassword(password), ARGON2);
}

export async function verifyPassword(hashed: string | null, password: string): Promise<boolean> {
  try {
    return await verify(hashed ?? DUMMY_HASH, normalizePassword(password));
  } catch {
    return false;
  }
}

type Tx = Prisma.TransactionClient;

/** `share` lets sessions of one user start side by side; `write` also serialises flows that change the row or its tokens. */
const ACCOUNT_LOCK = { share: Prisma.sql`FOR SHARE`, write: Prisma.sql`FOR NO KEY UPDATE` } as const;

/**
 * Locks the user's row until the transaction ends and returns what a session depends on (null when the user is gone).
 * A password change or deactivation then either committed before this read (and is seen) or waits for the
 * transaction (and deletes the session stored in it). Take it before any token row of the user, so token flows all
 * lock in the same order and cannot deadlock one another.
 */
export async function lockAccount(tx: Tx, userUuid: string, mode: keyof typeof ACCOUNT_LOCK): Promise<AccountState | null> {
  const rows = await tx.$queryRaw<AccountState[]>`
    SELECT hashed_password AS "hashedPassword", is_active AS "isActive"
      FROM phoenix_kit_users WHERE uuid = ${userUuid}::uuid ${ACCOUNT_LOCK[mode]}`;
  return rows[0] ?? null;
}

/** Throws unless a session may start for the locked account, given the password hash the caller checked. */
export function assertSessionAllowed(now: AccountState | null, checkedHash: string | null): void {
  const refusal = sessionRefusal(now, checkedHash);
  if (refusal === 'credentials_changed') throw new InvalidCredentialsError();
  if (refusal === 'disabled') throw new AccountDisabledError();
}

/** Stores a new session in `tx`; returns the raw token (only its hash is stored). */
export async function insertSession(tx: Tx, userUuid: string, client: ClientInfo): Promise<string> {
  const { raw, hash: tokenHash } = newToken();
  await tx.userToken.create({
    data: {
      userUuid,
      token: tokenHash,
      context: 'session',
      ipAddress: client.ip,
      userAgentHash: userAgentHash(client.userAgent),
    },
  });
  return raw;
}

const isUniqueViolation = (error: unknown, column: string) =>
  error instanceof Prisma.PrismaClientKnownRequestError &&
  error.code === 'P2002' &&
  JSON.stringify(error.meta ?? {}).includes(column);

/** A session token's row with its user and the user's active roles (names and permission keys). */
const SESSION_LOOKUP = `
  SELECT t.uuid, t.inserted_at AS "insertedAt", t.ip_address AS "ipAddress", t.user_agent_hash AS "userAgentHash",
         u.uuid AS "userUuid", u.is_active AS "isActive",
         COALESCE((SELECT json_agg(json_build_object(
                            'name', r.name,
                            'permissions', COALESCE((SELECT json_agg(p.module_key ORDER BY p.module_key)
                                                       FROM phoenix_kit_role_permissions AS p WHERE p.role_uuid = r.uuid), '[]'::json))
                          ORDER BY r.name)
                     FROM phoenix_kit_user_role_assignments AS a JOIN phoenix_kit_user_roles AS r ON r.uuid = a.role_uuid
                    WHERE a.user_uuid = u.uuid AND a.is_active), '[]'::json) AS roles
    FROM phoenix_kit_users_tokens AS t JOIN phoenix_kit_users AS u ON u.uuid = t.user_uuid
   WHERE t.context = 'session' AND t.token = $1`;
type SessionRow = {
  uuid: string;
  insertedAt: Date;
  ipAddress: string | null;
  userAgentHash: string | null;
  userUuid: string;
  isActive: boolean;
  roles: Array<{ name: string; permissions: string[] }>;
};

/** `register`'s answer for an address that has an account. */
const EMAIL_TAKEN: FieldIssue = { path: 'email', message: 'has already been taken' };
const emailTaken = () => new ValidationError('Registration input is invalid', [EMAIL_TAKEN]);

/** Whether `error` is `register` refusing an address that has an account. */
export const isEmailTaken = (error: unknown) => error instanceof ValidationError && error.issues.includes(EMAIL_TAKEN);

export function createAuthService(deps: AuthServiceDeps) {
  const { db, log, rateLimiter, settings } = deps;

  /**
   * The first free username for `base`, probing all `base`/`base_N` names in one query (by their common stem: a long
   * base is cut to fit its suffix). Registrations of the same stem wait for each other here (until commit), so each
   * sees the names the others took.
   */
  async function freeUsername(tx: Prisma.TransactionClient, base: string): Promise<string> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${usernameLockKey(base)}))`;
    const taken = await tx.user.findMany({
      where: { username: { startsWith: usernameStem(base), mode: 'insensitive' } },
      select: { username: true },
    });
    const names = new Set(taken.map((u) => u.username?.toLowerCase()));
    for (let attempt = 0; ; attempt++) {
      const candidate = usernameCandidate(base, attempt);
      if (!names.has(candidate.toLowerCase())) return candidate;
    }
  }

  /**
   * Gives the new user their first role. The first active Owner is decided under an advisory lock, so two
   * simultaneous first registrations cannot both become Owner; everyone else gets `new_user_default_role`.
   */
  async function assignInitialRole(tx: Prisma.TransactionClient, user: User, defaultRole: string): Promise<User> {
    const activeOwners = () =>
      tx.roleAssignment.count({ where: { role: { name: 'Owner' }, isActive: true, user: { isActive: true } } });
    if ((await activeOwners()) === 0) {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${OWNER_GUARD_LOCK}))`;
      if ((await activeOwners()) === 0) {
        const owner = await tx.role.findUniqueOrThrow({ where: { name: 'Owner' } });
        await tx.roleAssignment.create({ data: { userUuid: user.uuid, roleUuid: owner.uuid } });
        return tx.user.update({
          where: { uuid: user.uuid },
          data: { isActive: true, confirmedAt: user.confirmedAt ?? new Date() },
        });
      }
    }
    // Owner and Admin only ever by the Owner's hand (a value stored before that rule existed falls back to User)
    const role = isPrivilegedRole(defaultRole) ? null : await tx.role.findUnique({ where: { name: defaultRole } });
    const fallback = role ?? (await tx.role.findUniqueOrThrow({ where: { name: 'User' } }));
    await tx.roleAssignment.create({ data: { userUuid: user.uuid, roleUuid: fallback.uuid } });
    return user;
  }

  return {
    /** Creates the account; signs it in only when it is active (see `signedIn`). */
    /**
     * With `link` (a registration link): the link is claimed first in the account's transaction (one use wins; the
     * others wait for it and then fail as it throws), the account is confirmed, and the per-address limit is not
     * counted (the link proves the address, and asking for it was limited).
     */
    async register(input: RegisterInput, client: ClientInfo, link?: RegistrationLink): Promise<Registration> {
      const email = normalizeEmail(input.email);
      const username = input.username?.trim() || null;
      const issues: FieldIssue[] = [
        ...validateEmail(email),
        ...validatePassword(normalizePassword(input.password), deps.config.passwordRules),
        ...(username ? validateUsername(username) : []),
      ];
      if (issues.length > 0) throw new ValidationError('Registration input is invalid', issues);
      if (!(await settings.getBoolean('allow_registration'))) {
        throw new ValidationError('Registration is closed', [{ path: 'email', message: 'registration is closed' }]);
      }
      if (!link) await rateLimiter.hit(RATE_LIMITS.registrationPerEmail, email);
      if (client.ip) await rateLimiter.hit(RATE_LIMITS.registrationPerIp, ipLimitSubject(client.ip));

      const [hashedPassword, defaultRole, activeByDefault, geo] = await Promise.all([
        hashPassword(input.password),
        settings.get('new_user_default_role'),
        settings.getBoolean('new_user_default_status'),
        lookupGeo(client.ip),
      ]);
      const base = username ?? usernameBaseFromEmail(email);
      for (let attempt = 0; ; attempt++) {
        try {
          const { user, token } = await db.$transaction(async (tx) => {
            await link?.claim(tx);
            if (await tx.user.findUnique({ where: { email }, select: { uuid: true } })) throw emailTaken();
            const chosen = username ?? (base ? await freeUsername(tx, base) : null);
            const created = await tx.user.create({
              data: {
                email,
                hashedPassword,
                username: chosen,
                confirmedAt: link ? new Date() : null,
                isActive: activeByDefault,
                registrationIp: client.ip,
                registrationCountry: geo?.country ?? null,
                registrationRegion: geo?.region ?? null,
                registrationCity: geo?.city ?? null,
              },
            });
            const user = await assignInitialRole(tx, created, defaultRole ?? 'User');
            // in the same transaction: nobody can change or switch off the account before it exists; an account
            // created inactive gets no session (one would be refused at once)
            return { user, token: user.isActive ? await insertSession(tx, user.uuid, client) : null };
          });
          log.info({ userUuid: user.uuid }, 'user registered');
          return { token, user };
        } catch (error) {
          if (isUniqueViolation(error, 'email')) throw emailTaken();
          if (isUniqueViolation(error, 'username')) {
            // a generated name can still meet another base's (`john_1` is also the name for john.1@…): pick again
            if (!username && attempt < 5) continue;
            const message = username ? 'has already been taken' : 'could not be generated from the email; choose one';
            throw new ValidationError('Registration input is invalid', [{ path: 'username', message }]);
          }
          throw error;
        }
      }
    },

    async login(input: LoginInput, client: ClientInfo): Promise<Session> {
      const email = normalizeEmail(input.email);
      // an address text cannot hold belongs to no account (and cannot key a rate limit): it fails like a wrong one
      const storable = isStorableText(email);
      if (storable) await rateLimiter.hit(RATE_LIMITS.loginPerEmail, email);
      if (client.ip) await rateLimiter.hit(RATE_LIMITS.loginPerIp, ipLimitSubject(client.ip));
      const user = storable && validateEmail(email).length === 0 ? await db.user.findUnique({ where: { email } }) : null;
      const ok = await verifyPassword(user?.hashedPassword ?? null, input.password);
      if (!user || !ok) throw new InvalidCredentialsError();
      if (!user.isActive) throw new AccountDisabledError();
      // the check above took argon2's time: store the session only if the account is still as it was checked
      const token = await db.$transaction(async (tx) => {
        assertSessionAllowed(await lockAccount(tx, user.uuid, 'share'), user.hashedPassword);
        return insertSession(tx, user.uuid, client);
      });
      return { token, user };
    },

    /** Ends the session the request was made with. */
    async logout(sessionTokenHash: TokenHash): Promise<void> {
      await db.userToken.deleteMany({ where: { context: 'session', token: sessionTokenHash } });
    },

    /** The viewer behind `Authorization: Bearer <token>`, or null (no, unknown, expired or refused session). */
    /**
     * Deletes the tokens past their lifetime (sessions, mailed links: they can no longer be used; tokens of an unknown
     * context are kept) and the rate-limit counts whose window has ended. Nothing else removes them; the
     * `accounts-prune` job runs this daily.
     */
    async pruneExpired(): Promise<{ tokens: number; rateLimits: number }> {
      const secs = (context: TokenContext) => tokenLifetimeMs(context) / 1000;
      const tokens = await db.$executeRaw`
        DELETE FROM phoenix_kit_users_tokens
        WHERE inserted_at <= now() - make_interval(secs => CASE
          WHEN context = 'session' THEN ${secs('session')}::int
          WHEN context = 'confirm' THEN ${secs('confirm')}::int
          WHEN context = 'reset_password' THEN ${secs('reset_password')}::int
          WHEN context = 'magic_link' THEN ${secs('magic_link')}::int
          WHEN context = 'magic_link_registration' THEN ${secs('magic_link_registration')}::int
          WHEN context LIKE 'change:%' THEN ${secs('change:')}::int
        END)`;
      const rateLimits = await rateLimiter.prune();
      log.info({ tokens, rateLimits }, 'expired tokens and rate-limit counts removed');
      return { tokens, rateLimits };
    },

    async resolveViewer(authorization: string | null, client: ClientInfo): Promise<Viewer | null> {
      const raw = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      const tokenHash = raw ? hashToken(raw) : null;
      if (!tokenHash) return null;
      // every request starts here: one hand-written statement (an ORM query costs the server several times its CPU)
      const [session] = await deps.sql.query<SessionRow>(SESSION_LOOKUP, [Buffer.from(tokenHash)]);
      if (!session || !isTokenLive('session', session.insertedAt, new Date())) return null;
      if (!session.isActive) return null;
      const verdict = compareFingerprint(session, {
        ipAddress: client.ip ?? 'unknown',
        userAgentHash: userAgentHash(client.userAgent),
      });
      if (verdict !== 'ok') {
        const strict = deps.config.sessionFingerprintStrict || (await settings.getBoolean('session_fingerprint_strict'));
        log.warn(
          { userUuid: session.userUuid, session: Buffer.from(tokenHash.subarray(0, 4)).toString('hex'), verdict, strict },
          'session fingerprint mismatch',
        );
        if (strict) return null;
      }
      return viewerFromRoles(session.userUuid, session.uuid, tokenHash, session.roles);
    },
  };

  async function lookupGeo(ip: string | null): Promise<GeoLocation | null> {
    if (!ip || !deps.geo || !(await settings.getBoolean('track_registration_geolocation'))) return null;
    try {
      return await deps.geo.lookup(ip);
    } catch (error) {
      log.warn({ err: error }, 'registration geolocation failed');
      return null;
    }
  }
}

export type AuthService = ReturnType<typeof createAuthService>;
