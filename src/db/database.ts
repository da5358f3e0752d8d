import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { Config } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { quoteIdent } from './migrations/prefix.js';
import { openPglite } from './pglite.js';
import { lockDataDir } from './data-dir-lock.js';
import { createPool, sqlFromPglite, sqlFromPool, type Sql, type SqlLog } from './sql.js';
import { statementNames } from './statement-names.js';

export type Db = PrismaClient;

/** The application's database handles: Prisma for queries, raw SQL for migrations and health checks. */
export type Database = {
  kind: 'postgres' | 'pglite';
  prefix: string;
  prisma: Db;
  sql: Sql;
  /** The server's connection string (postgres only), for dedicated connections such as the settings LISTEN. */
  url?: string;
  close(): Promise<void>;
};

/** The PGlite adapter has no schema option; Prisma reads the schema from the connection info. */
function pgliteAdapterForSchema(factory: PrismaPGlite, schema: string): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    async connect() {
      const adapter = await factory.connect();
      const info = adapter.getConnectionInfo?.bind(adapter);
      adapter.getConnectionInfo = () => ({ supportsRelationJoins: true, ...info?.(), schemaName: schema });
      return adapter;
    },
  };
}

/** Unqualified names in raw SQL resolve to the prefix first, then `public` (where the extensions live). */
const searchPathFor = (prefix: string) => (prefix === 'public' ? 'public' : `${quoteIdent(prefix)},public`);

export type DatabaseOptions = {
  prefix: string;
  /** Called for every SQL statement Prisma sends and every `query` through `sql` (tests count them). */
  log?: SqlLog;
  /** Called when the server drops an idle pooled connection. */
  onPoolError?: (error: Error) => void;
};

export async function openPostgres(url: string, poolSize: number, opts: DatabaseOptions): Promise<Database> {
  const pool = createPool(url, poolSize, opts.onPoolError, searchPathFor(opts.prefix));
  const names = statementNames();
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool, { schema: opts.prefix, statementNameGenerator: (query) => names(query.sql, query.args.length) }),
    log: opts.log ? [{ emit: 'event', level: 'query' }] : [],
  });
  attachQueryLog(prisma, opts);
  const sql = sqlFromPool(pool, opts.log, names);
  return {
    kind: 'postgres',
    prefix: opts.prefix,
    prisma,
    sql,
    url,
    async close() {
      await prisma.$disconnect();
      await sql.close();
    },
  };
}

export async function openEmbedded(dataDir: string | undefined, opts: DatabaseOptions): Promise<Database> {
  const release = dataDir ? lockDataDir(dataDir) : () => undefined;
  let pglite;
  try {
    pglite = await openPglite(dataDir);
  } catch (error) {
    release();
    throw error;
  }
  await pglite.exec(`SET search_path TO ${searchPathFor(opts.prefix)}`);
  const prisma = new PrismaClient({
    adapter: pgliteAdapterForSchema(new PrismaPGlite(pglite), opts.prefix),
    log: opts.log ? [{ emit: 'event', level: 'query' }] : [],
  });
  attachQueryLog(prisma, opts);
  const sql = sqlFromPglite(pglite, opts.log);
  return {
    kind: 'pglite',
    prefix: opts.prefix,
    prisma,
    sql,
    async close() {
      try {
        await prisma.$disconnect();
        await sql.close();
      } finally {
        release();
      }
    },
  };
}

function attachQueryLog(prisma: PrismaClient, opts: DatabaseOptions): void {
  const log = opts.log;
  if (!log) return;
  // the event is only typed when the client is constructed with a literal log option
  (prisma as unknown as { $on(e: 'query', cb: (ev: { query: string; duration: number }) => void): void }).$on(
    'query',
    (ev) => log({ query: ev.query, durationMs: ev.duration }),
  );
}

export function openDatabase(config: Config, extra: Omit<DatabaseOptions, 'prefix'> = {}): Promise<Database> {
  const opts = { ...extra, prefix: config.prefix };
  return config.database.kind === 'postgres'
    ? openPostgres(config.database.url, config.database.poolSize, opts)
    : openEmbedded(config.database.dataDir, opts);
}
