/**
 * Benchmark of the file store (issue 4, "Figures to measure and report"). Starts the real server as a child process
 * on a fresh DATA_DIR (PGlite, or a scratch PostgreSQL database with --postgres), drives it over real sockets, samples
 * its RSS and CPU time from /proc, and compares each figure with a baseline measured in the same run:
 *
 *   1. one 1 GiB upload: MiB/s against this machine's SHA-256 and disk write speed; peak RSS growth
 *   2. 200 uploads of 1 MiB at concurrency 4: files/s against a minimal busboy-to-disk server (and, with --postgres, the
 *      floor of this stack: bench/upload-reference-server.ts); CPU-ms per upload
 *   3. listing 100 files with instances and locations at 10 connections: req/s, p50/p99, CPU-ms per request, and SQL
 *      statements per request (counted in-process on the same code, at 1, 10 and 100 files)
 *
 * Prints a table with PASS/FAIL per target and exits 0 whatever the figures (it is a report). `--quick`: 64 MiB,
 * 40 uploads, 2 s. `--cpu-prof`: the server writes a V8 CPU profile (path printed) when it stops.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createTestDatabase, type TestDatabase } from '../test/helpers/pg.js';
import {
  distinctBodies,
  generatedBytes,
  gql,
  jsonHeaders,
  percentile,
  register,
  request,
  runPool,
  target,
  uploadBuffer,
  uploadGenerated,
  type Target,
} from './lib/client.js';
import { ProcWatch, rssBytes, toMiB, type ProcSample } from './lib/proc.js';
import { startAppServer, startBaselineServer, startListReference, startUploadReference, type Child, type GcCounts } from './lib/processes.js';
import { fmt, resultsTable, type Row } from './lib/report.js';
import { countStatements } from './lib/statements.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export type Options = { quick: boolean; postgres: boolean; cpuProf: boolean; only: ReadonlySet<number> | null };

const wanted = (opts: Options, figure: number) => !opts.only || opts.only.has(figure);

export const LIST_QUERY = /* GraphQL */ `
  query BenchList {
    files(first: 100) {
      edges { node { uuid originalFileName size instances { variantName url locations { path status bucket { name } } } } }
    }
  }
`;

const TARGETS = { uploadShare: 0.8, uploadRssMiB: 64, manyShare: 0.7, statements: 4, listCpuMs: 2.5 };

/** Other work on the machine above this many cores during a phase makes its figures unreliable. */
const BUSY_CORES = 0.3;

const say = (line: string) => void process.stdout.write(`${line}\n`);

/** Flushes dirty pages, so one phase's writeback does not land in the next phase's timing. */
function syncDisks() {
  try {
    execFileSync('sync');
  } catch {
    // not fatal: only makes the next phase noisier
  }
}

/** SHA-256 over `bytes` bytes of in-memory buffers, in 64 KiB updates (the size of the chunks an upload arrives in). */
function sha256Speed(bytes: number): number {
  const block = randomBytes(Math.min(bytes, 64 * MiB));
  const step = 64 * 1024;
  const hash = createHash('sha256');
  const t0 = performance.now();
  for (let done = 0; done < bytes; ) {
    for (let o = 0; o < block.length && done < bytes; o += step, done += step) hash.update(block.subarray(o, o + step));
  }
  hash.digest();
  return toMiB(bytes) / ((performance.now() - t0) / 1000);
}

/** Streams `bytes` to a new file in `dir`, fsynced before close: the disk's sustained write speed in MiB/s. */
async function diskWriteSpeed(dir: string, bytes: number): Promise<number> {
  const path = join(dir, `disk-speed-${randomBytes(4).toString('hex')}`);
  const t0 = performance.now();
  await pipeline(Readable.from(generatedBytes(bytes)), createWriteStream(path, { flush: true }));
  const seconds = (performance.now() - t0) / 1000;
  await rm(path, { force: true });
  return toMiB(bytes) / seconds;
}

const gcDelta = (a: GcCounts, b: GcCounts): GcCounts => ({
  scavenges: b.scavenges - a.scavenges,
  markCompacts: b.markCompacts - a.markCompacts,
  pauseMs: b.pauseMs - a.pauseMs,
});

/** Where the CPU went during a phase, per unit of work (`per` units, e.g. 200 uploads). */
function cpuLine(sample: ProcSample, per: number, unit: string, gc?: GcCounts): string {
  const parts = [
    `server ${fmt(sample.cpuMs / per, 2)} CPU-ms/${unit} (main thread ${fmt(sample.mainThreadCpuMs / per, 2)})`,
    ...(gc ? [`server GC: ${gc.markCompacts} mark-compacts + ${gc.scavenges} scavenges, ${fmt(gc.pauseMs, 0)} ms paused`] : []),
    ...(sample.companionCpuMs === null ? [] : [`its postgres backends ${fmt(sample.companionCpuMs / per, 2)}`]),
    `bench client ${fmt(sample.clientCpuMs / per, 2)}`,
    `rest of the machine ${fmt(sample.otherCores, 2)} cores busy`,
  ];
  return parts.join(', ');
}

type ManyResult = { filesPerSec: number; cpuMsPerUpload: number; p50: number; p99: number; sample: ProcSample; gc?: GcCounts };

/** `bodies` uploaded at `concurrency` over keep-alive connections, after `warmup` uploads of other bodies. */
async function uploadMany(
  t: Target,
  pid: number,
  token: string | undefined,
  bodies: Buffer[],
  warmup: Buffer[],
  concurrency: number,
  companions: () => Promise<number[] | null>,
  gcOf?: () => GcCounts,
): Promise<ManyResult> {
  await runPool(warmup.length, concurrency, (i) => uploadBuffer(t, token, warmup[i]!, `warmup-${i}.bin`));
  const gcBefore = gcOf?.();
  const watch = new ProcWatch(pid, 50, await companions());
  const latencies = await runPool(bodies.length, concurrency, async (i) => {
    const r = await uploadBuffer(t, token, bodies[i]!, `upload-${i}.bin`);
    if (r.size !== bodies[i]!.length) throw new Error(`upload ${i}: server stored ${r.size} bytes, sent ${bodies[i]!.length}`);
    if (r.duplicate) throw new Error(`upload ${i}: unexpectedly a duplicate`);
  });
  const sample = watch.stop(await companions());
  const gc = gcOf && gcBefore ? gcDelta(gcBefore, gcOf()) : undefined;
  latencies.sort((a, b) => a - b);
  return {
    gc,
    filesPerSec: bodies.length / (sample.wallMs / 1000),
    cpuMsPerUpload: sample.cpuMs / bodies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    sample,
  };
}

/** Sends the listing query from `connections` loops for `durationMs`; counts only 200 answers without errors. */
async function listLoad(t: Target, token: string, connections: number, durationMs: number) {
  const body = Buffer.from(JSON.stringify({ query: LIST_QUERY, variables: {} }));
  const headers = jsonHeaders(body.length, token);
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure = '';
  const deadline = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const reply = await request(t, { method: 'POST', path: '/graphql', headers, body });
        const ms = performance.now() - t0;
        // parsing every 40 KiB answer would spend the client CPU the server needs; an error answer says "errors"
        // near its start
        if (reply.status !== 200 || reply.body.subarray(0, 200).includes('"errors"')) {
          failures++;
          firstFailure ||= `HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 300)}`;
        } else {
          latencies.push(ms);
        }
      }
    }),
  );
  return { latencies, failures, firstFailure };
}

/**
 * Figure 3's reference on the same database: the listing reference server (bench/list-reference-server.ts) must give
 * the real server's answer byte for byte, then is loaded like the server. CPU of the process and of its postgres
 * backends (the database's other sessions are idle meanwhile).
 */
async function measureListReference(
  databaseUrl: string,
  token: string,
  expected: unknown,
  durationMs: number,
  backends: () => Promise<number[] | null>,
) {
  const reference = await startListReference(databaseUrl);
  try {
    const t = target(reference.port, 10);
    const answer = await gql(t, LIST_QUERY, {}, token);
    if (JSON.stringify(answer) !== JSON.stringify(expected)) {
      throw new Error(`the listing reference answers differently: ${JSON.stringify(answer).slice(0, 400)}`);
    }
    await listLoad(t, token, 10, Math.min(2_000, durationMs / 2)); // warm-up
    const watch = new ProcWatch(reference.pid, 50, await backends());
    const load = await listLoad(t, token, 10, durationMs);
    const sample = watch.stop(await backends());
    if (load.failures > 0) throw new Error(`listing reference: ${load.failures} failed requests; first: ${load.firstFailure}`);
    const n = Math.max(1, load.latencies.length);
    return { reqPerSec: n / (sample.wallMs / 1000), cpuPerReq: sample.cpuMs / n, pgPerReq: (sample.companionCpuMs ?? 0) / n };
  } finally {
    await reference.stop();
  }
}

const oneLine = (sql: string) => {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)} …` : flat;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(opts: Options): Promise<void> {
  const bigBytes = opts.quick ? 64 * MiB : GiB;
  const manyCount = opts.quick ? 40 : 200;
  const manyWarmup = opts.quick ? 4 : 10;
  const listMs = opts.quick ? 2_000 : 10_000;
  const listFiles = 100;
  const listFileBytes = 4 * 1024;
  const bigLabel = bigBytes >= GiB ? `${fmt(bigBytes / GiB, 0)} GiB` : `${fmt(toMiB(bigBytes), 0)} MiB`;

  say(
    `files bench${opts.quick ? ' (quick)' : ''}: ${opts.postgres ? 'PostgreSQL (scratch database)' : 'embedded PGlite'}; ` +
      `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}), node ${process.version}, ` +
      `load average ${loadavg().map((l) => fmt(l, 2)).join(' ')}`,
  );
  const root = await mkdtemp(join(tmpdir(), 'pk-bench-'));
  const dataDir = join(root, 'data');
  await mkdir(dataDir, { recursive: true });
  const profileDir = join(root, 'cpu-profiles');
  let scratch: TestDatabase | undefined;
  let server: Child | undefined;
  let baseline: Child | undefined;
  const fig1: Row[] = [];
  const fig2: Row[] = [];
  const fig3: Row[] = [];
  const notes: string[] = [];
  const busy = (phase: string, sample: ProcSample) => {
    if (sample.otherCores > BUSY_CORES) {
      notes.push(`${phase}: other processes kept ${fmt(sample.otherCores, 2)} cores busy; its figures are unreliable`);
    }
  };
  try {
    if (opts.postgres) {
      scratch = await createTestDatabase('bench');
      say(`scratch database ${scratch.name}`);
    }
    // the PostgreSQL backends serving the server (their CPU is the database's share of each request)
    const companions = async (): Promise<number[] | null> => {
      if (!scratch) return null;
      const rows = await scratch.sql.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [scratch.name],
      );
      return rows.map((r) => Number(r.pid));
    };

    const t0 = performance.now();
    server = await startAppServer({
      dataDir,
      databaseUrl: scratch?.url,
      nodeArgs: opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      traceGc: true,
    });
    say(`server pid ${server.pid}, port ${server.port}, ready in ${fmt((performance.now() - t0) / 1000)} s; DATA_DIR ${dataDir}`);
    const app = target(server.port, 10);
    const owner = await register(app, 'owner');
    const setting = await gql(
      app,
      `mutation { updateSetting(input: { key: "storage_max_upload_size_mb", value: "${Math.ceil((2 * bigBytes) / MiB)}" }) { __typename ... on Error { message } } }`,
      {},
      owner.token,
    );
    if (setting.updateSetting.__typename !== 'MutationUpdateSettingSuccess') {
      throw new Error(`could not raise the upload limit: ${JSON.stringify(setting)}`);
    }
    await sleep(opts.quick ? 500 : 2_000);
    const idleWatch = new ProcWatch(server.pid, 100);
    await sleep(opts.quick ? 1_000 : 3_000);
    const idle = idleWatch.stop();
    say(`server idle: ${fmt((idle.cpuMs * 1000) / idle.wallMs)} CPU-ms/s (background work; included in every CPU figure below)`);

    // ── Figure 1: one big upload ──────────────────────────────────────────────────────────────────────────────────
    if (wanted(opts, 1)) {
      say(`\n[1] upload of one ${bigLabel} file (generated while sent) to the local bucket`);
      const sha = sha256Speed(bigBytes);
      say(`    machine SHA-256 (node:crypto, 64 KiB updates, in memory): ${fmt(sha, 0)} MiB/s`);
      syncDisks();
      const disk = await diskWriteSpeed(root, bigBytes);
      say(`    machine disk write (stream to ${root}, fsync): ${fmt(disk, 0)} MiB/s`);
      syncDisks();
      // context, no target: what a Node server doing nothing but busboy → disk reaches over the same socket path
      baseline = await startBaselineServer(join(root, 'baseline-big'));
      await uploadGenerated(target(baseline.port, 1), undefined, 16 * MiB, 'warm-up.bin');
      const baseBigWatch = new ProcWatch(baseline.pid, 50);
      await uploadGenerated(target(baseline.port, 1), undefined, bigBytes, 'big.bin');
      const baseBig = baseBigWatch.stop();
      await baseline.stop();
      baseline = undefined;
      await rm(join(root, 'baseline-big'), { recursive: true, force: true });
      const baseBigRate = toMiB(bigBytes) / (baseBig.wallMs / 1000);
      say(`    minimal server (busboy → disk, no fsync): ${fmt(baseBigRate, 0)} MiB/s; ${cpuLine(baseBig, toMiB(bigBytes), 'MiB')}`);
      syncDisks();

      // warm-up (JIT, bucket directories, first statements), then the measured upload
      const rssBeforeWarmup = rssBytes(server.pid);
      await uploadGenerated(app, owner.token, 16 * MiB, 'warm-up.bin');
      syncDisks();
      const bigGc = server.gc();
      const bigWatch = new ProcWatch(server.pid, 10, await companions());
      const big = await uploadGenerated(app, owner.token, bigBytes, 'big.bin');
      const bigSample = bigWatch.stop(await companions());
      const bigGcDelta = gcDelta(bigGc, server.gc());
      if (big.size !== bigBytes) throw new Error(`big upload stored ${big.size} bytes, sent ${bigBytes}`);
      busy('figure 1', bigSample);
      const bigRate = toMiB(bigBytes) / (bigSample.wallMs / 1000);
      const ceiling = Math.min(sha, disk);
      say(`    server: ${fmt(bigSample.wallMs / 1000, 2)} s = ${fmt(bigRate, 0)} MiB/s; ${cpuLine(bigSample, toMiB(bigBytes), 'MiB', bigGcDelta)}`);
      say(
        `    server RSS ${fmt(toMiB(bigSample.rssBefore))} MiB before, peak ${fmt(toMiB(bigSample.rssPeak))} MiB ` +
          `(${bigSample.samples} samples + the kernel's high-water mark); ${fmt(toMiB(rssBeforeWarmup))} MiB before a 16 MiB warm-up upload`,
      );
      fig1.push(
        {
          figure: `1 upload ${bigLabel}`,
          metric: 'throughput',
          value: `${fmt(bigRate, 0)} MiB/s = ${fmt((100 * bigRate) / ceiling, 0)} % of ${fmt(ceiling, 0)} (sha256 ${fmt(sha, 0)}, disk ${fmt(disk, 0)})`,
          target: `≥ ${TARGETS.uploadShare * 100} % of min(sha256, disk)`,
          pass: bigRate >= TARGETS.uploadShare * ceiling,
        },
        {
          figure: '',
          metric: 'server peak RSS growth',
          value: `${fmt(toMiB(bigSample.rssGrowth))} MiB`,
          target: `< ${TARGETS.uploadRssMiB} MiB`,
          pass: toMiB(bigSample.rssGrowth) < TARGETS.uploadRssMiB,
        },
        {
          figure: '',
          metric: 'minimal server, same upload',
          value: `${fmt(baseBigRate, 0)} MiB/s (ours: ${fmt((100 * bigRate) / baseBigRate, 0)} % of it)`,
          target: 'report',
          pass: null,
        },
      );
      // the stored GiB would otherwise sit in the page cache and bucket while the next phases run
      const removed = await gql(
        app,
        `mutation($uuid: UUID!) { deleteFile(input: { uuid: $uuid }) { __typename } }`,
        { uuid: big.uuid },
        owner.token,
      );
      if (removed.deleteFile.__typename !== 'MutationDeleteFileSuccess') notes.push(`could not delete the big file: ${JSON.stringify(removed)}`);
      syncDisks();

    }
    // ── Figure 2: many small uploads, against a minimal server ───────────────────────────────────────────────────
    if (wanted(opts, 2)) {
      say(`\n[2] ${manyCount} uploads of 1 MiB (distinct bytes) at concurrency 4`);
      const bodies = distinctBodies(manyCount, MiB);
      const warmBodies = distinctBodies(manyWarmup, MiB);
      baseline = await startBaselineServer(join(root, 'baseline-uploads'));
      const base = await uploadMany(target(baseline.port, 4), baseline.pid, undefined, bodies, warmBodies, 4, async () => null);
      await baseline.stop();
      baseline = undefined;
      await rm(join(root, 'baseline-uploads'), { recursive: true, force: true });
      say(`    minimal server (busboy → disk): ${fmt(base.filesPerSec)} files/s, p50 ${fmt(base.p50)} ms, p99 ${fmt(base.p99)} ms`);
      say(`      ${cpuLine(base.sample, manyCount, 'upload')}`);
      syncDisks();
      // the floor of this stack (PostgreSQL only): multipart through yoga, session statement, hash, disk, one insert
      let floor: ManyResult | null = null;
      if (scratch) {
        const uploader = await register(app, 'floor'); // its own account: the server's uploads below stay new bytes
        const reference = await startUploadReference(scratch.url, join(root, 'reference-uploads'));
        try {
          floor = await uploadMany(target(reference.port, 4), reference.pid, uploader.token, bodies, warmBodies, 4, companions);
        } finally {
          await reference.stop();
          await rm(join(root, 'reference-uploads'), { recursive: true, force: true });
        }
        say(`    upload floor (yoga + multipart + session statement + SHA-256 + disk + one insert): ${fmt(floor.filesPerSec)} files/s, p50 ${fmt(floor.p50)} ms, p99 ${fmt(floor.p99)} ms`);
        say(`      ${cpuLine(floor.sample, manyCount, 'upload')}`);
        syncDisks();
      }
      const appServer = server;
      const ours = await uploadMany(target(server.port, 4), server.pid, owner.token, bodies, warmBodies, 4, companions, () => appServer.gc());
      busy('figure 2', ours.sample);
      say(`    server: ${fmt(ours.filesPerSec)} files/s, p50 ${fmt(ours.p50)} ms, p99 ${fmt(ours.p99)} ms`);
      say(`      ${cpuLine(ours.sample, manyCount, 'upload', ours.gc)}`);
      fig2.push(
        {
          figure: `2 ${manyCount} × 1 MiB, c=4`,
          metric: 'rate',
          value: `${fmt(ours.filesPerSec)} files/s = ${fmt((100 * ours.filesPerSec) / base.filesPerSec, 0)} % of minimal server ${fmt(base.filesPerSec)}`,
          target: `≥ ${TARGETS.manyShare * 100} % of minimal server`,
          pass: ours.filesPerSec >= TARGETS.manyShare * base.filesPerSec,
        },
        {
          figure: '',
          metric: 'server CPU per upload',
          value:
            `${fmt(ours.cpuMsPerUpload, 2)} ms (minimal server ${fmt(base.cpuMsPerUpload, 2)} ms)` +
            (ours.sample.companionCpuMs === null ? '' : `; + postgres ${fmt(ours.sample.companionCpuMs / manyCount, 2)} ms`),
          target: 'report',
          pass: null,
        },
        ...(floor
          ? [
              {
                figure: '',
                metric: 'floor of this stack',
                value:
                  `${fmt(floor.filesPerSec)} files/s = ${fmt((100 * floor.filesPerSec) / base.filesPerSec, 0)} % of minimal server; ` +
                  `${fmt(floor.cpuMsPerUpload, 2)} CPU-ms/upload + postgres ${fmt((floor.sample.companionCpuMs ?? 0) / manyCount, 2)}`,
                target: 'report',
                pass: null,
              },
            ]
          : []),
      );
      syncDisks();

    }
    // ── Figure 3: listing 100 files with instances and locations ─────────────────────────────────────────────────
    if (wanted(opts, 3)) {
      say(`\n[3] files(first: 100) with instances and locations, 10 connections, ${fmt(listMs / 1000, 0)} s`);
      const lister = await register(app, 'lister'); // a plain user (the common case): only their own 100 files are listed
      const small = distinctBodies(listFiles, listFileBytes);
      await runPool(listFiles, 4, (i) => uploadBuffer(app, lister.token, small[i]!, `listed-${i}.txt`));
      const first = await gql(app, LIST_QUERY, {}, lister.token);
      const edges = first.files.edges as Array<{ node: { instances: Array<{ locations: unknown[] }> } }>;
      if (edges.length !== listFiles || edges.some((e) => e.node.instances[0]?.locations.length !== 1)) {
        throw new Error(`the listing does not show ${listFiles} files with one location each: ${JSON.stringify(first).slice(0, 400)}`);
      }
      const answerBytes = Buffer.byteLength(JSON.stringify({ data: first }));
      const listTarget = target(server.port, 10);
      await listLoad(listTarget, lister.token, 10, Math.min(2_000, listMs / 2)); // warm-up
      const listGc = server.gc();
      const listWatch = new ProcWatch(server.pid, 50, await companions());
      const load = await listLoad(listTarget, lister.token, 10, listMs);
      const listSample = listWatch.stop(await companions());
      const listGcDelta = gcDelta(listGc, server.gc());
      busy('figure 3', listSample);
      if (load.failures > 0) notes.push(`listing: ${load.failures} failed requests; first: ${load.firstFailure}`);
      const lat = load.latencies.sort((a, b) => a - b);
      const n = Math.max(1, lat.length);
      const reqPerSec = lat.length / (listSample.wallMs / 1000);
      const cpuPerReq = listSample.cpuMs / n;
      say(
        `    ${lat.length} requests (answers of ${fmt(answerBytes / 1024)} KiB): ${fmt(reqPerSec)} req/s, ` +
          `p50 ${fmt(percentile(lat, 50), 2)} ms, p99 ${fmt(percentile(lat, 99), 2)} ms; server RSS peak ${fmt(toMiB(listSample.rssPeak))} MiB`,
      );
      say(`      ${cpuLine(listSample, n, 'request', listGcDelta)}`);
      const reference = scratch ? await measureListReference(scratch.url, lister.token, first, listMs, companions) : null;
      if (reference) {
        say(
          `    reference (yoga + graphql-js + pg, hand-written SQL, same answer): ${fmt(reference.reqPerSec)} req/s, ` +
            `${fmt(reference.cpuPerReq, 2)} CPU-ms/request (+ postgres ${fmt(reference.pgPerReq, 2)} ms)`,
        );
      }

      const counted = await countStatements({
        query: LIST_QUERY,
        sizes: [1, 10, 100],
        fileBytes: listFileBytes,
        dataDir: join(root, 'count-data'),
        postgresUrl: scratch?.url,
      });
      const counts = counted.listing;
      say(
        `    SQL statements per request (same app in-process on ${opts.postgres ? 'PostgreSQL' : 'PGlite'}, Prisma's and db.sql's statements): ` +
          counts.map((c) => `${c.files} files: ${c.warm} (first request ${c.cold})`).join('; '),
      );
      for (const [i, st] of (counts.at(-1)?.sql ?? []).entries()) say(`      ${i + 1}. ${fmt(st.ms, 0).padStart(3)} ms  ${oneLine(st.sql)}`);
      say(`    SQL statements of one upload of new bytes (in-process): ${counted.upload.statements}`);
      for (const [i, st] of counted.upload.sql.entries()) say(`      ${i + 1}. ${fmt(st.ms, 0).padStart(3)} ms  ${oneLine(st.sql)}`);
      fig2.push({ figure: '', metric: 'SQL statements / upload', value: String(counted.upload.statements), target: 'report', pass: null });
      const warmCounts = counts.map((c) => c.warm);
      const constant = warmCounts.every((c) => c === warmCounts[0]);
      fig3.push(
        {
          figure: '3 list 100 files, 10 conns',
          metric: 'SQL statements / request',
          value: `${warmCounts.join(' / ')} at ${counts.map((c) => c.files).join(' / ')} files`,
          target: `constant, ≤ ${TARGETS.statements}`,
          pass: constant && Math.max(...warmCounts) <= TARGETS.statements,
        },
        {
          figure: '',
          metric: 'server CPU per request',
          value:
            `${fmt(cpuPerReq, 2)} ms` +
            (listSample.companionCpuMs === null ? '' : ` (+ postgres ${fmt(listSample.companionCpuMs / n, 2)} ms)`),
          target: `≤ ${TARGETS.listCpuMs} ms`,
          pass: cpuPerReq <= TARGETS.listCpuMs,
        },
        ...(reference
          ? [
              {
                figure: '',
                metric: 'reference CPU per request',
                value: `${fmt(reference.cpuPerReq, 2)} ms (server = ${fmt(cpuPerReq / reference.cpuPerReq, 1)}×)`,
                target: 'report',
                pass: null,
              },
            ]
          : []),
        { figure: '', metric: 'throughput', value: `${fmt(reqPerSec)} req/s`, target: 'report', pass: null },
        {
          figure: '',
          metric: 'latency p50 / p99',
          value: `${fmt(percentile(lat, 50), 2)} / ${fmt(percentile(lat, 99), 2)} ms`,
          target: 'report',
          pass: null,
        },
      );
    }
  } finally {
    await baseline?.stop().catch(() => undefined);
    if (server) {
      const logged = server.output();
      await server.stop().catch(() => undefined);
      if (logged.length > 0) notes.push(`the server logged ${logged.length} lines at warn or above; first: ${logged[0]!.slice(0, 300)}`);
    }
    await scratch?.drop().catch((error: unknown) => notes.push(`could not drop ${scratch!.name}: ${String(error)}`));
    if (opts.cpuProf) {
      await rm(dataDir, { recursive: true, force: true });
      say(`\nserver CPU profile (whole run): ${profileDir}`);
    } else {
      await rm(root, { recursive: true, force: true });
    }
  }

  say(`\n${resultsTable([...fig1, ...fig2, ...fig3])}`);
  for (const note of notes) say(`note: ${note}`);
}
