import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { StatementNamer } from './statement-names.js';

/** The minimal SQL surface shared by a Postgres server (node-postgres) and embedded PGlite. */
export interface SqlRunner {
  /** One statement, optional `$n` parameters. */
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Several statements, no parameters (simple protocol). */
  exec(text: string): Promise<void>;
}

export interface Sql extends SqlRunner {
  /** Runs `fn` on one connection inside BEGIN … COMMIT, rolling back when it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Called for every statement run through an `Sql` (tests count them, as they count Prisma's). */
export type SqlLog = (event: { query: string; durationMs: number }) => void;

/** `run`, reported to `log` (when there is one) with its text and duration. */
async function logged<T>(log: SqlLog | undefined, text: string, run: () => Promise<T>): Promise<T> {
  if (!log) return run();
  const started = performance.now();
  try {
    return await run();
  } finally {
    log({ query: text, durationMs: performance.now() - started });
  }
}

/** node-postgres: a pool; each transaction takes one client. `names`: statements with parameters run prepared. */
export function sqlFromPool(pool: pg.Pool, log?: SqlLog, names?: StatementNamer): Sql {
  const statement = (text: string, params?: readonly unknown[]): pg.QueryConfig => ({
    text,
    values: params as unknown[] | undefined,
    ...(names ? { name: names(text, params?.length ?? 0) } : {}),
  });
  return {
    async query<T>(text: string, params?: readonly unknown[]) {
      return logged(log, text, async () => (await pool.query(statement(text, params))).rows as T[]);
    },
    async exec(text) {
      await pool.query(text);
    },
    async transaction(fn) {
      const client = await pool.connect();
      const tx: SqlRunner = {
        async query<T>(text: string, params?: readonly unknown[]) {
          return logged(log, text, async () => (await client.query(statement(text, params))).rows as T[]);
        },
        async exec(text) {
          await client.query(text);
        },
      };
      try {
        await client.query('BEGIN');
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/**
 * A pool whose idle clients may be cut by the server (restart, failover, DROP DATABASE … FORCE): the error is
 * reported to `onError` instead of crashing the process; the pool replaces the client on next use.
 */
export function createPool(
  connectionString: string,
  max: number,
  onError: (error: Error) => void = () => undefined,
  searchPath?: string,
) {
  const pool = new pg.Pool({ connectionString, max, ...(searchPath ? { options: `-c search_path=${searchPath}` } : {}) });
  pool.on('error', onError);
  return pool;
}

export function sqlFromUrl(connectionString: string, max = 4): Sql {
  return sqlFromPool(createPool(connectionString, max));
}

/** PGlite: a single embedded connection; its own transaction() serialises callers. */
export function sqlFromPglite(db: PGlite, log?: SqlLog): Sql {
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): SqlRunner => ({
    async query<T>(text: string, params?: readonly unknown[]) {
      return logged(log, text, async () => (await q.query<T>(text, params as unknown[] | undefined)).rows);
    },
    async exec(text) {
      await q.exec(text);
    },
  });
  return {
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async close() {
      if (!db.closed) await db.close();
    },
  };
}
