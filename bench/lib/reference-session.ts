import type pg from 'pg';
import { hashToken } from '../../src/modules/auth/domain/tokens.js';

const SESSION = `
  SELECT u.uuid FROM phoenix_kit_users_tokens t JOIN phoenix_kit_users u ON u.uuid = t.user_uuid
   WHERE t.context = 'session' AND t.token = $1 AND t.inserted_at > now() - interval '60 days' AND u.is_active`;

/**
 * The bench references' session check: the bearer token's user, by one hand-written statement (no roles, no
 * fingerprint); throws when there is none.
 */
export async function sessionUser(pool: pg.Pool, request: Request): Promise<{ uuid: string }> {
  const raw = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
  const hash = raw ? hashToken(raw) : null;
  const viewer = hash ? (await pool.query<{ uuid: string }>(SESSION, [Buffer.from(hash)])).rows[0] : undefined;
  if (!viewer) throw new Error('not signed in');
  return viewer;
}
