/**
 * `npm run bench -- scale [--quick]`: the file store's bookkeeping queries on a large store. A scratch PostgreSQL
 * database (always PostgreSQL: the point is the database's plans) is migrated, then filled by SQL with 500,000 files
 * (`--quick`: 50,000) of one user, each with an original instance stored in two buckets. The statement triggers of
 * V31 and V33 count them as they are inserted; then one file in 100 loses a copy and the target is set to 2 copies. Each
 * query runs 5 times; the median is reported, with what the same
 * question cost before (the statement the code used to run, or the same statement without the V32 or V34 index).
 * Last, the second bucket is switched off and on once (each switch recounts every copy in it: V36), and the counts are
 * checked against the rows.
 */
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { openPostgres, type Database } from '../src/db/database.js';
import { migrateUp } from '../src/db/migrations/runner.js';
import { createServices } from '../src/services.js';
import { createTestDatabase } from '../test/helpers/pg.js';
import { BENCH_SECRET_KEY_BASE } from './lib/processes.js';
import { resultsTable, type Row } from './lib/report.js';

type Options = { quick: boolean };

const say = (line: string) => console.log(line);
const fmt = (n: number, digits = 2) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Median of 5 timed runs; also returns the last result, so both versions can be checked to agree. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const times: number[] = [];
  let result: T | undefined;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    result = await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[2]!, result: result! };
}

/** Carries a result out of a transaction that must not commit. */
class RolledBack<T> {
  constructor(readonly value: T) {}
}

/** Runs `fn` in a transaction that drops `index` first and is rolled back (the index is back afterwards). */
async function withoutIndex<T>(
  database: Database,
  index: string,
  fn: (query: (sql: string, params?: unknown[]) => Promise<unknown[]>) => Promise<T>,
): Promise<T> {
  try {
    await database.sql.transaction(async (tx) => {
      await tx.query(`DROP INDEX ${index}`);
      throw new RolledBack(await fn((sql, params) => tx.query(sql, params)));
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.value as T;
    throw error;
  }
  throw new Error('unreachable: the transaction always rolls back');
}

const PATH_INDEX = 'phoenix_kit_file_locations_path_bucket_uuid_index';
const NAME_INDEX = 'phoenix_kit_files_original_file_name_trgm_index';

async function seed(database: Database, files: number): Promise<void> {
  const q = (sql: string) => database.sql.query(sql);
  await q(`INSERT INTO phoenix_kit_buckets (name, provider, endpoint) VALUES ('Second', 'local', 'buckets/second')`);
  await q(`INSERT INTO phoenix_kit_users (email, hashed_password) VALUES ('scale@bench.local', 'x')`);
  await q(`INSERT INTO phoenix_kit_files (user_uuid, original_file_name, file_name, mime_type, file_type, ext,
             file_checksum, user_file_checksum, size, status)
           SELECT (SELECT uuid FROM phoenix_kit_users LIMIT 1), 'f-' || i || '.bin', 'f.bin', 'application/octet-stream',
                  'other', 'bin', encode(sha256(i::text::bytea), 'hex'), encode(sha256(('u' || i)::bytea), 'hex'),
                  1000 + i % 1000, 'active'
             FROM generate_series(1, ${files}) i`);
  await q(`INSERT INTO phoenix_kit_file_instances (variant_name, file_name, mime_type, ext, checksum, size, file_uuid, processing_status)
           SELECT 'original', file_name, mime_type, ext, file_checksum, size, uuid, 'completed' FROM phoenix_kit_files`);
  await q(`INSERT INTO phoenix_kit_file_locations (path, status, priority, file_instance_uuid, bucket_uuid)
           SELECT 'ab/' || i.checksum || '/original.bin', 'active', 0, i.uuid, b.uuid
             FROM phoenix_kit_file_instances i CROSS JOIN phoenix_kit_buckets b`);
  await q('ANALYZE');
}

const USAGE_BEFORE = `
  SELECT d.bucket_uuid, SUM(d.size)::bigint AS used
    FROM (SELECT DISTINCT l.bucket_uuid, l.path, i.size
            FROM phoenix_kit_file_locations l JOIN phoenix_kit_file_instances i ON i.uuid = l.file_instance_uuid
           WHERE l.status = 'active') d
   GROUP BY d.bucket_uuid`;

const SHORTFALLS_BEFORE = `
  SELECT i.uuid FROM phoenix_kit_file_instances i
    LEFT JOIN phoenix_kit_file_locations l ON l.file_instance_uuid = i.uuid
   WHERE i.processing_status = 'completed'
   GROUP BY i.uuid HAVING count(l.uuid) FILTER (WHERE l.status = 'active') < 2
   ORDER BY i.uuid LIMIT 10000`;

/** Every 100th file loses a copy, so both searches for under-replicated files (target 2) have something to find. */
const FAIL_SOME_COPIES = `
  UPDATE phoenix_kit_file_locations l SET status = 'failed'
    FROM phoenix_kit_file_instances i
   WHERE i.uuid = l.file_instance_uuid AND i.size % 100 = 0
     AND l.bucket_uuid = (SELECT uuid FROM phoenix_kit_buckets ORDER BY name LIMIT 1)`;

/** The upload's search for copies of the same bytes, for the object of file number `n` (as Prisma words it, in short). */
const donorQuery = (n: number) => `
  SELECT DISTINCT ON (l.bucket_uuid) l.bucket_uuid, l.priority
    FROM phoenix_kit_file_locations l JOIN phoenix_kit_file_instances i ON i.uuid = l.file_instance_uuid
   WHERE l.path = 'ab/' || encode(sha256('${n}'::bytea), 'hex') || '/original.bin' AND l.status = 'active'
     AND i.variant_name = 'original' AND i.checksum = encode(sha256('${n}'::bytea), 'hex')
   ORDER BY l.bucket_uuid`;

/** The `files` query's search by name, as Prisma words it (an admin's, so over every user's files). */
const SEARCH = `
  SELECT uuid FROM phoenix_kit_files
   WHERE system_managed = false AND status <> 'trashed' AND original_file_name ILIKE ('%' || $1 || '%')
   ORDER BY uuid DESC LIMIT 101`;

/** The release's check for rows still pointing at one object. */
const refsQuery = (n: number) => `
  SELECT count(*) FROM phoenix_kit_file_locations
   WHERE bucket_uuid = (SELECT uuid FROM phoenix_kit_buckets ORDER BY name LIMIT 1)
     AND path = 'ab/' || encode(sha256('${n}'::bytea), 'hex') || '/original.bin'`;

export async function run(opts: Options): Promise<void> {
  const files = opts.quick ? 50_000 : 500_000;
  say(`scale bench${opts.quick ? ' (quick)' : ''}: scratch PostgreSQL database, ${files.toLocaleString('en-US')} files in 2 buckets`);
  const scratch = await createTestDatabase('scale');
  const database = await openPostgres(scratch.url, 4, { prefix: 'public' });
  const config = loadConfig({ DATABASE_URL: scratch.url, SECRET_KEY_BASE: BENCH_SECRET_KEY_BASE, LOG_LEVEL: 'silent', JOBS_IN_PROCESS: 'false' });
  const services = createServices({ db: database, config, log: pino({ level: 'silent' }) });
  const rows: Row[] = [];
  try {
    await migrateUp(database.sql, { prefix: 'public' });
    const t0 = performance.now();
    await seed(database, files);
    say(`seeded in ${fmt((performance.now() - t0) / 1000, 1)} s (the triggers counting every copy as it went in)`);

    const usageBefore = await timed(() => database.sql.query<{ bucket_uuid: string; used: string }>(USAGE_BEFORE));
    // what an upload reads: the enabled buckets with their usage, in one statement
    const usageNow = await timed(async () => new Map((await services.buckets.enabledWithUsage()).map((b) => [b.uuid, b.usedBytes])));
    const agree = usageBefore.result.every((r) => usageNow.result.get(r.bucket_uuid) === Number(r.used));
    if (!agree || usageNow.result.size !== usageBefore.result.length) throw new Error('the kept usage differs from the scan');
    rows.push({ figure: 'bucket usage (every upload)', metric: 'scan of every copy → ledger', value: `${fmt(usageBefore.ms)} → ${fmt(usageNow.ms)} ms`, target: 'report', pass: null });

    const sample = Math.floor(files / 2);
    const donorNow = await timed(() => database.sql.query(donorQuery(sample)));
    const donorBefore = await withoutIndex(database, PATH_INDEX, (query) => timed(() => query(donorQuery(sample))));
    if (donorNow.result.length !== 2 || donorBefore.result.length !== 2) throw new Error('the copies of the sample object were not found');
    rows.push({ figure: 'copies of the same bytes (every upload)', metric: 'without → with the V32 index', value: `${fmt(donorBefore.ms)} → ${fmt(donorNow.ms)} ms`, target: 'report', pass: null });

    const refsNow = await timed(() => database.sql.query(refsQuery(sample)));
    const refsBefore = await withoutIndex(database, PATH_INDEX, (query) => timed(() => query(refsQuery(sample))));
    rows.push({ figure: 'references to an object (per object deleted)', metric: 'without → with the V32 index', value: `${fmt(refsBefore.ms)} → ${fmt(refsNow.ms)} ms`, target: 'report', pass: null });

    const term = [`f-${sample}.`];
    const searchNow = await timed(() => database.sql.query(SEARCH, term));
    const searchBefore = await withoutIndex(database, NAME_INDEX, (query) => timed(() => query(SEARCH, term)));
    if (searchNow.result.length !== 1 || searchBefore.result.length !== 1) throw new Error('the name search did not find its one file');
    rows.push({ figure: 'search by name (files query)', metric: 'without → with the V34 index', value: `${fmt(searchBefore.ms)} → ${fmt(searchNow.ms)} ms (1 of ${files.toLocaleString('en-US')})`, target: 'report', pass: null });

    await services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
    await database.sql.query(FAIL_SOME_COPIES);
    await database.sql.query('ANALYZE');
    const shortBefore = await timed(() => database.sql.query(SHORTFALLS_BEFORE));
    const shortNow = await timed(() => services.replication.shortfalls());
    if (shortBefore.result.length === 0 || shortBefore.result.length !== shortNow.result.length) {
      throw new Error(`the kept copies disagree with the count: ${shortBefore.result.length} vs ${shortNow.result.length}`);
    }
    rows.push({
      figure: 'under-replicated files (health, repair)',
      metric: 'count of every location → index',
      value: `${fmt(shortBefore.ms)} → ${fmt(shortNow.ms)} ms (${shortNow.result.length.toLocaleString('en-US')} found)`,
      target: 'report',
      pass: null,
    });

    // V36: switching a bucket off moves the count of every instance with a copy there (one transaction), and back on
    const second = (await database.sql.query<{ uuid: string }>(`SELECT uuid FROM phoenix_kit_buckets WHERE name = 'Second'`))[0]!.uuid;
    const flip = async (enabled: boolean) => {
      const t0 = performance.now();
      await services.buckets.update(second, { enabled });
      return performance.now() - t0;
    };
    const offMs = await flip(false);
    const shortOff = (await services.replication.underReplicatedFiles(0)).count;
    const onMs = await flip(true);
    const shortOn = (await services.replication.underReplicatedFiles(0)).count;
    const [kept] = await database.sql.query<{ differ: number }>(`
      SELECT count(*)::int AS differ FROM phoenix_kit_file_instances i
       WHERE i.active_copies <> (SELECT count(*) FROM phoenix_kit_file_locations l WHERE l.file_instance_uuid = i.uuid AND l.status = 'active')`);
    if (shortOff !== files || shortOn !== shortNow.result.length || kept!.differ !== 0) {
      throw new Error(`the counts after switching the bucket are wrong: ${shortOff} short while off, ${shortOn} after, ${kept!.differ} differ`);
    }
    rows.push({
      figure: 'switching a bucket off / on (V36)',
      metric: `${files.toLocaleString('en-US')} copies in it recounted`,
      value: `${fmt(offMs)} / ${fmt(onMs)} ms`,
      target: 'report',
      pass: null,
    });
  } finally {
    await services.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    await scratch.drop().catch(() => undefined);
  }
  say(`\n${resultsTable(rows)}`);
}
