/**
 * SQL statements per request (the listing, and an upload), counted in-process: the server's own app (createApp) on a database opened the way the
 * tests open theirs, with Prisma's `query` events counted around each request. The server under load cannot count
 * them, so this runs the same query on the same code with the same data shape.
 */
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openEmbedded, openPostgres } from '../../src/db/database.js';
import { migrateUp } from '../../src/db/migrations/runner.js';
import { createLogger } from '../../src/logger.js';
import { distinctBodies, multipartFraming, REGISTER, USER_AGENT } from './client.js';
import { BENCH_SECRET_KEY_BASE } from './processes.js';

export type Statement = { sql: string; ms: number };
export type StatementCount = { files: number; cold: number; warm: number; sql: Statement[] };
export type Counts = {
  /** The listing query at each size. */
  listing: StatementCount[];
  /** One upload of new bytes (the last one made), with its statements. */
  upload: { statements: number; sql: Statement[] };
};

export async function countStatements(opts: {
  query: string;
  /** Numbers of files in the list at which to count (ascending). */
  sizes: number[];
  fileBytes: number;
  dataDir: string;
  /** PostgreSQL database to use (under its own prefix); absent: an in-memory PGlite. */
  postgresUrl?: string;
}): Promise<Counts> {
  const prefix = opts.postgresUrl ? 'bench_count' : 'public';
  const queries: Statement[] = [];
  const log = (e: { query: string; durationMs: number }) => void queries.push({ sql: e.query, ms: e.durationMs });
  const database = opts.postgresUrl
    ? await openPostgres(opts.postgresUrl, 4, { prefix, log })
    : await openEmbedded(undefined, { prefix, log });
  try {
    await migrateUp(database.sql, { prefix });
    const config = loadConfig({
      NODE_ENV: 'production',
      DATA_DIR: opts.dataDir,
      DB_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      SECRET_KEY_BASE: BENCH_SECRET_KEY_BASE,
      ...(opts.postgresUrl ? { DATABASE_URL: opts.postgresUrl } : {}),
    });
    const app = createApp({ db: database, log: createLogger('warn'), config });
    try {
      const post = async (body: Buffer | string, headers: Record<string, string>) => {
        const res = await app.fetch('http://localhost/graphql', {
          method: 'POST',
          headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...headers },
          body: typeof body === 'string' ? body : new Uint8Array(body),
        });
        const json = (await res.json()) as { data?: any; errors?: unknown[] };
        if (json.errors?.length || !json.data) throw new Error(`in-process request failed: ${JSON.stringify(json).slice(0, 500)}`);
        return json.data;
      };
      const gql = (query: string, variables: Record<string, unknown>, token?: string) =>
        post(JSON.stringify({ query, variables }), {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        });
      const registerAs = async (email: string) => {
        const r = (await gql(REGISTER, { input: { email, password: 'bench-password-1' } })).register;
        if (r.__typename !== 'MutationRegisterSuccess') throw new Error(`register: ${r.__typename}`);
        return r.data.token as string;
      };
      await registerAs('owner@count.bench.test'); // the first account is the Owner; the lister is a plain user
      const token = await registerAs('lister@count.bench.test');

      const max = Math.max(...opts.sizes);
      const bodies = distinctBodies(max, opts.fileBytes);
      const counts: StatementCount[] = [];
      let uploaded = 0;
      let lastUpload: Statement[] = [];
      for (const size of [...opts.sizes].sort((a, b) => a - b)) {
        for (; uploaded < size; uploaded++) {
          const f = multipartFraming(opts.fileBytes, `count-${uploaded}.bin`);
          const before = queries.length;
          const r = (
            await post(Buffer.concat([f.head, bodies[uploaded]!, f.tail]), {
              'content-type': f.contentType,
              'content-length': String(f.length),
              authorization: `Bearer ${token}`,
            })
          ).uploadFile;
          if (r.__typename !== 'MutationUploadFileSuccess') throw new Error(`upload: ${r.__typename} ${r.message ?? ''}`);
          lastUpload = queries.slice(before);
        }
        const measure = async () => {
          const before = queries.length;
          const data = await gql(opts.query, {}, token);
          const edges = (data.files?.edges ?? []) as unknown[];
          if (edges.length !== size) throw new Error(`listing returned ${edges.length} files, expected ${size}`);
          return queries.slice(before);
        };
        const cold = await measure();
        const warm = await measure();
        counts.push({ files: size, cold: cold.length, warm: warm.length, sql: warm });
      }
      return { listing: counts, upload: { statements: lastUpload.length, sql: lastUpload } };
    } finally {
      await app.services.close();
    }
  } finally {
    await database.close();
  }
}
