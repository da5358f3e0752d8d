import { createServer, type RequestListener } from 'node:http';
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

/** Serves `handler` on 127.0.0.1:$PORT, with /healthz for the bench; on SIGTERM closes the server and `pool`. */
export function serveReference(handler: RequestListener, pool: pg.Pool): void {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.end('ok');
      return;
    }
    handler(req, res);
  });
  server.listen(Number(process.env.PORT), '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
}
