import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';

/** Embedded Postgres (WASM). `dataDir` persists on disk; undefined keeps it in memory (tests). */
export async function openPglite(dataDir?: string): Promise<PGlite> {
  const db = await PGlite.create({ dataDir, extensions: { citext, pgcrypto, pg_trgm } });
  return db;
}
