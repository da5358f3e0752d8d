import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sqlFromUrl, type Sql } from '../../src/db/sql.js';

/** The real server the integration tests use; CI points it at the machine's Postgres. */
export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type TestDatabase = { name: string; url: string; sql: Sql; drop(): Promise<void> };

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database of its own, so test files run in parallel without sharing state. */
export async function createTestDatabase(label = 't', template?: string): Promise<TestDatabase> {
  const name = `pk_${label}_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  const url = withDatabase(ADMIN_DATABASE_URL, name);
  const sql = sqlFromUrl(url, 8);
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.close();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
