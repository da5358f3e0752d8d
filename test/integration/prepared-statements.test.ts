import { afterAll, beforeAll, expect, test } from 'vitest';
import { openPostgres, type Database } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

// one connection, so every statement below runs in the session whose prepared statements are read back
let scratch: TestDatabase;
let db: Database;

beforeAll(async () => {
  scratch = await createTestDatabase('prepared');
  db = await openPostgres(scratch.url, 1, { prefix: 'public' });
});

afterAll(async () => {
  await db?.close();
  await scratch?.drop();
});

const prepared = () => db.sql.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements');

test('statements with parameters, from Prisma and from db.sql, are prepared once per connection and reused', async () => {
  for (let i = 0; i < 3; i++) {
    expect(await db.prisma.$queryRaw<{ x: number }[]>`SELECT ${i}::int + 1 AS x`).toEqual([{ x: i + 1 }]);
    expect(await db.sql.query('SELECT $1::int * 2 AS y', [i])).toEqual([{ y: i * 2 }]);
  }
  const rows = await prepared();
  const ours = rows.filter((r) => r.name.startsWith('pk_'));
  expect(ours.map((r) => r.statement.replace(/\s+/g, ' ')).sort()).toEqual(['SELECT $1::int * 2 AS y', 'SELECT $1::int + 1 AS x']);
});

test('a text without parameters may hold several statements: it runs unnamed', async () => {
  await db.sql.query('SELECT 1; SELECT 2'); // a prepared statement would be refused: "cannot insert multiple commands"
  expect((await prepared()).some((r) => r.statement.includes('SELECT 2'))).toBe(false);
});

test('a prepared statement fails like any other and leaves the connection usable', async () => {
  await expect(db.sql.query('SELECT 1 / $1::int AS z', [0])).rejects.toThrow(/division by zero/);
  expect(await db.sql.query('SELECT 1 / $1::int AS z', [1])).toEqual([{ z: 1 }]);
});
