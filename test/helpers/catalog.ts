import type { SqlRunner } from '../../src/db/sql.js';

/**
 * A comparable picture of everything a migration can create in the given schemas: tables, columns (type, default,
 * nullability), indexes (definitions), constraints, comments, functions, types and sequences. Objects owned by
 * extensions are left out; rows are sorted so two snapshots compare with toEqual.
 */
export async function catalogSnapshot(db: SqlRunner, schemas: readonly string[]) {
  const p = [schemas as string[]];
  const notExtension = (oidExpr: string) =>
    `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = ${oidExpr} AND d.deptype = 'e')`;
  const [tables, columns, indexes, constraints, functions, types, sequences, triggers] = await Promise.all([
    db.query(
      `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, obj_description(c.oid, 'pg_class') AS comment
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${notExtension('c.oid')}
        ORDER BY 1, 2`,
      p,
    ),
    db.query(
      `SELECT n.nspname AS schema, c.relname AS "table", a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
              a.attnotnull AS not_null, pg_get_expr(ad.adbin, ad.adrelid) AS "default", a.attidentity AS identity,
              a.attgenerated AS generated, col_description(c.oid, a.attnum) AS comment
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY 1, 2, 3`,
      p,
    ),
    db.query(
      `SELECT n.nspname AS schema, c.relname AS name, pg_get_indexdef(c.oid) AS definition
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND c.relkind IN ('i', 'I') ORDER BY 1, 2`,
      p,
    ),
    db.query(
      `SELECT n.nspname AS schema, t.relname AS "table", c.conname AS name, c.contype AS type,
              pg_get_constraintdef(c.oid) AS definition
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace LEFT JOIN pg_class t ON t.oid = c.conrelid
        WHERE n.nspname = ANY($1) ORDER BY 1, 2, 3`,
      p,
    ),
    db.query(
      `SELECT n.nspname AS schema, p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args,
              md5(pg_get_functiondef(p.oid)) AS body
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = ANY($1) AND ${notExtension('p.oid')} ORDER BY 1, 2, 3`,
      p,
    ),
    db.query(
      `SELECT n.nspname AS schema, t.typname AS name, t.typtype AS kind,
              (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = ANY($1) AND t.typtype IN ('e', 'd') AND ${notExtension('t.oid')} ORDER BY 1, 2`,
      p,
    ),
    db.query(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND c.relkind = 'S' ORDER BY 1, 2`,
      p,
    ),
    db.query(
      `SELECT n.nspname AS schema, c.relname AS "table", t.tgname AS name, pg_get_triggerdef(t.oid) AS definition
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND NOT t.tgisinternal ORDER BY 1, 2, 3`,
      p,
    ),
  ]);
  return { tables, columns, indexes, constraints, functions, types, sequences, triggers };
}

export type CatalogSnapshot = Awaited<ReturnType<typeof catalogSnapshot>>;
