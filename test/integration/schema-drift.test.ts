import { readFileSync } from 'node:fs';
import internals from '@prisma/internals';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends, type Backend } from '../helpers/backends.js';

type DmmfField = {
  name: string;
  dbName?: string | null;
  kind: string;
  type: string;
  isList: boolean;
  isRequired: boolean;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationOnDelete?: string;
};
type DmmfModel = { name: string; dbName: string | null; fields: DmmfField[] };
type DmmfIndex = { model: string; type: string; dbName?: string | null; fields: { name: string }[] };

const dmmf = (await internals.getDMMF({ datamodel: readFileSync('prisma/schema.prisma', 'utf8') })) as unknown as {
  datamodel: { models: DmmfModel[]; indexes: DmmfIndex[] };
};
const models = dmmf.datamodel.models;
const tableOf = (m: DmmfModel) => m.dbName ?? m.name;
const columnOf = (f: DmmfField) => f.dbName ?? f.name;

/** The Postgres type (as format_type prints it) that a Prisma scalar field maps to. */
export function expectedType(f: DmmfField): string {
  const [native, args = []] = f.nativeType ?? [];
  const base = (() => {
    switch (native) {
      case 'Uuid': return 'uuid';
      case 'VarChar': return `character varying(${args[0]})`;
      case 'Citext': return 'citext';
      case 'Timestamptz': return 'timestamp with time zone';
      case 'Timestamp': return `timestamp(${args[0]}) without time zone`;
      case 'JsonB': return 'jsonb';
      case 'Decimal': return 'numeric';
      case undefined:
        return ({ String: 'text', Int: 'integer', BigInt: 'bigint', Boolean: 'boolean', Bytes: 'bytea', Json: 'jsonb',
          DateTime: 'timestamp(3) without time zone', Decimal: 'numeric(65,30)', Float: 'double precision' } as Record<string, string>)[f.type] ?? f.type;
      default: return `${native}`;
    }
  })();
  return f.isList ? `${base}[]` : base;
}

const onDeleteSql: Record<string, string> = { Cascade: 'CASCADE', SetNull: 'SET NULL', Restrict: 'RESTRICT', NoAction: 'NO ACTION' };

describe.each(backends)('Prisma schema matches the migrated database on %s', (_name, open) => {
  let backend: Backend;
  let columns: Map<string, { type: string; notNull: boolean }>;
  let tables: string[];
  beforeAll(async () => {
    backend = await open();
    const rows = await backend.database.sql.query<{ table: string; column: string; type: string; not_null: boolean }>(
      `SELECT c.relname AS "table", a.attname AS "column", format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped`,
    );
    columns = new Map(rows.map((r) => [`${r.table}.${r.column}`, { type: r.type.replace(/^public\./, ''), notNull: r.not_null }]));
    tables = [...new Set(rows.map((r) => r.table))].sort();
  });
  afterAll(() => backend.close());

  test('every table of the chain is modelled, and every model has its table', () => {
    expect(models.map(tableOf).sort()).toEqual(tables);
  });

  test.each(models.map((m) => [m.name, m] as const))('model %s: every field has a column of a compatible type and nullability', (_n, model) => {
    for (const field of model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum')) {
      const key = `${tableOf(model)}.${columnOf(field)}`;
      const column = columns.get(key);
      expect(column, `${key} is missing`).toBeDefined();
      expect(column!.type, `${key} type`).toBe(expectedType(field));
      expect(column!.notNull, `${key} NOT NULL`).toBe(field.isRequired || field.isList);
    }
  });

  test('every named index and unique constraint of the models exists with the same columns', async () => {
    const rows = await backend.database.sql.query<{ name: string; table: string; is_unique: boolean; columns: string[] }>(
      `SELECT i.relname AS name, t.relname AS "table", x.indisunique AS is_unique,
              array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public'`,
    );
    const byName = new Map(rows.map((r) => [r.name, r]));
    const named = dmmf.datamodel.indexes.filter((i) => i.dbName);
    expect(named.length).toBeGreaterThan(30);
    for (const index of named) {
      const model = models.find((m) => m.name === index.model)!;
      const fieldColumns = index.fields.map((f) => columnOf(model.fields.find((mf) => mf.name === f.name)!));
      const found = byName.get(index.dbName!);
      expect(found, `index ${index.dbName}`).toBeDefined();
      expect(found!.table).toBe(tableOf(model));
      expect(found!.columns).toEqual(fieldColumns);
      expect(found!.is_unique, `index ${index.dbName} uniqueness`).toBe(index.type === 'unique' || index.type === 'id');
    }
  });

  test('every relation has its foreign key with the same ON DELETE action', async () => {
    const fks = await backend.database.sql.query<{ table: string; columns: string[]; ref: string; on_delete: string }>(
      `SELECT t.relname AS "table", r.relname AS ref,
              array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
              CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'r' THEN 'RESTRICT'
                                 WHEN 'a' THEN 'NO ACTION' ELSE 'SET DEFAULT' END AS on_delete
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace WHERE c.contype = 'f' AND n.nspname = 'public'`,
    );
    let relations = 0;
    for (const model of models) {
      for (const field of model.fields.filter((f) => f.kind === 'object' && f.relationFromFields?.length)) {
        relations++;
        const target = models.find((m) => m.name === field.type)!;
        const cols = field.relationFromFields!.map((n) => columnOf(model.fields.find((f) => f.name === n)!));
        const fk = fks.find((k) => k.table === tableOf(model) && k.ref === tableOf(target) && k.columns.join() === cols.join());
        expect(fk, `${model.name}.${field.name} foreign key`).toBeDefined();
        const expected = onDeleteSql[field.relationOnDelete ?? ''] ?? (field.isRequired ? 'RESTRICT' : 'SET NULL');
        expect(fk!.on_delete, `${model.name}.${field.name} ON DELETE`).toBe(expected);
      }
    }
    expect(relations).toBeGreaterThan(15);
    expect(fks.length).toBe(relations);
  });
});
