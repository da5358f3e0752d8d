import { defineVersion } from './helpers.js';

/** `<prefix>.uuid_generate_v7()` and every existing `uuid` primary key default switched to it. */
export default defineVersion(
  19,
  'uuid v7 function',
  (ctx) => [
    // 48-bit big-endian unix milliseconds + 80 random bits, then the version nibble (7) and variant bits (10)
    `CREATE OR REPLACE FUNCTION ${ctx.t('uuid_generate_v7')}() RETURNS uuid
    LANGUAGE plpgsql VOLATILE AS $fn$
    DECLARE
      bytes bytea := substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                     || public.gen_random_bytes(10);
    BEGIN
      bytes := set_byte(bytes, 6, (get_byte(bytes, 6) & 15) | 112);
      bytes := set_byte(bytes, 8, (get_byte(bytes, 8) & 63) | 128);
      RETURN encode(bytes, 'hex')::uuid;
    END
    $fn$`,
    `DO $$
    DECLARE r record;
    BEGIN
      FOR r IN
        SELECT c.relname FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         WHERE n.nspname = '${ctx.prefix}' AND c.relkind IN ('r', 'p') AND a.attname = 'uuid' AND NOT a.attisdropped
           AND pg_get_expr(ad.adbin, ad.adrelid) = 'gen_random_uuid()'
      LOOP
        EXECUTE format('ALTER TABLE %I.%I ALTER COLUMN uuid SET DEFAULT %I.uuid_generate_v7()', '${ctx.prefix}', r.relname, '${ctx.prefix}');
      END LOOP;
    END $$`,
  ],
  (ctx) => [
    // only defaults that are exactly a call of this function (its text depends on search_path, so match both forms)
    `DO $$
    DECLARE
      fn regprocedure := to_regprocedure('${ctx.schema}.uuid_generate_v7()');
      r record;
    BEGIN
      IF fn IS NULL THEN RETURN; END IF;
      FOR r IN
        SELECT c.relname FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         WHERE n.nspname = '${ctx.prefix}' AND c.relkind IN ('r', 'p') AND a.attname = 'uuid' AND NOT a.attisdropped
           AND pg_get_expr(ad.adbin, ad.adrelid) ~ '^([a-z0-9_"]+\\.)?uuid_generate_v7\\(\\)$'
           AND EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
                          AND d.refclassid = 'pg_proc'::regclass AND d.refobjid = fn)
      LOOP
        EXECUTE format('ALTER TABLE %I.%I ALTER COLUMN uuid SET DEFAULT gen_random_uuid()', '${ctx.prefix}', r.relname);
      END LOOP;
    END $$`,
    `DROP FUNCTION IF EXISTS ${ctx.t('uuid_generate_v7')}()`,
  ],
);
