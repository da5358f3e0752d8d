/**
 * Benchmark of media processing (issue 5, "Figures to measure and report in the note"). Starts the real server as a
 * child process on a fresh DATA_DIR (PGlite, or a scratch PostgreSQL database with --postgres), drives it over real
 * sockets, samples its RSS and CPU time from /proc, and compares each figure with plain sharp in the same run:
 *
 *   1. variants of 100 twelve-megapixel JPEGs with the default image presets: images/s from the first upload until
 *      every file is `active` with its variants, against sharp making the same outputs in this process at the job
 *      worker's concurrency; the server's peak RSS growth
 *   2. the deep-zoom pyramid of a 100-megapixel JPEG: seconds for the server to make it (manifest, then the first
 *      tile, which renders the whole pyramid and stores that tile; the rest is stored in the background), against
 *      sharp's own `.tile({ layout: 'dz' })` to a temp dir in a child process, run before and after the server (the
 *      mean of both counts); peak RSS of both; then every tile fetched once
 *
 * Inputs are generated with sharp at the start: a smooth random picture per image plus gaussian grain, so they are
 * distinct and compress like photos (~3–4 MiB per 12 Mpx at quality 90). Prints a table with PASS/FAIL per target and
 * exits 0 whatever the figures. `--quick`: 10 images and a 25-megapixel tile source. `--cpu-prof`: the server writes
 * a V8 CPU profile (path printed) when it stops.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_DIMENSIONS } from '../src/modules/dimensions/domain/default-dimensions.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/pg.js';
import { gql, percentile, register, request, runPool, target, uploadBuffer, type Target } from './lib/client.js';
import { cpuMs, machineBusyMs, ownCpuMs, ProcWatch, toMiB, type ProcSample } from './lib/proc.js';
import { ROOT, startAppServer, type Child } from './lib/processes.js';
import { fmt, resultsTable, type Row } from './lib/report.js';

export type Options = { quick: boolean; postgres: boolean; cpuProf: boolean; only: ReadonlySet<number> | null };

const wanted = (opts: Options, figure: number) => !opts.only || opts.only.has(figure);

const TARGETS = { variantShare: 0.8, tileRatio: 1.2 };

/**
 * Files the server's job worker processes at once: one pg-boss worker per queue fetching `batchSize: 1`
 * (src/jobs/job-queue.ts), and the job renders a file's variants one after the other (media-processing.service.ts).
 * The raw-sharp baseline runs the same way. libvips threads per pipeline are sharp's default in both processes.
 */
const WORKER_CONCURRENCY = 1;
/** Uploads sent at once in figure 1 (like the files bench's many-uploads figure). */
const UPLOAD_CONCURRENCY = 4;
/** Tile requests at once when every tile is fetched after generation. */
const TILE_FETCH_CONCURRENCY = 4;
/** Geometry and quality of the tiles the server makes (src/modules/tiles: 254 px, overlap 1, JPEG q85). */
const TILE = { size: 254, overlap: 1, quality: 85 };
/** Source JPEG quality of the generated inputs. */
const SOURCE_QUALITY = 90;

/** Other work on the machine above this many cores during a phase makes its figures unreliable. */
const BUSY_CORES = 0.3;

const say = (line: string) => void process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mpx = (w: number, h: number) => `${fmt((w * h) / 1e6, 0)} Mpx`;

type ImagePreset = { name: string; width: number; quality: number };

/** The default image presets (what a fresh database has): fit inside the width, never enlarged, JPEG. */
const IMAGE_PRESETS: ImagePreset[] = DEFAULT_DIMENSIONS.filter((d) => d.appliesTo !== 'video' && d.enabled).map((d) => ({
  name: d.name,
  width: d.width,
  quality: d.quality,
}));

// ── inputs ───────────────────────────────────────────────────────────────────────────────────────────────────────

/** Gaussian grain (sharp's noise generator is the slow part, so one field is made and shifted for every image). */
async function grainField(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 12 } } })
    .raw()
    .toBuffer();
}

/**
 * A photo-like JPEG: a smooth random picture (a 16×12 grid of random colours, enlarged with a cubic kernel) plus the
 * grain read at a random offset (wrapping around), so every image is different and compresses like a photo.
 */
async function photo(width: number, height: number, grain: { data: Buffer; width: number; height: number }): Promise<Buffer> {
  const coarse = randomBytes(16 * 12 * 3);
  const base = await sharp(coarse, { raw: { width: 16, height: 12, channels: 3 } }).resize(width, height, { kernel: 'cubic' }).raw().toBuffer();
  const dx = Math.floor(Math.random() * grain.width);
  const dy = Math.floor(Math.random() * grain.height);
  const g = grain.data;
  for (let y = 0; y < height; y++) {
    const gy = ((y + dy) % grain.height) * grain.width;
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const gi = (gy + ((x + dx) % grain.width)) * 3;
      const i = row + x * 3;
      for (let c = 0; c < 3; c++) {
        const v = base[i + c]! + g[gi + c]! - 128;
        base[i + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return sharp(base, { raw: { width, height, channels: 3 } }).jpeg({ quality: SOURCE_QUALITY }).toBuffer();
}

// ── baselines ────────────────────────────────────────────────────────────────────────────────────────────────────

type Output = { width: number; height: number; size: number };
type RawResult = { wallMs: number; cpuMs: number; otherCores: number; outputs: Output[][] };

/** Plain sharp in this process: each image's presets one after the other, `WORKER_CONCURRENCY` images at once. */
async function rawSharpVariants(paths: readonly string[], outDir: string): Promise<RawResult> {
  await mkdir(outDir, { recursive: true });
  const outputs: Output[][] = paths.map(() => []);
  const cpu0 = ownCpuMs();
  const machine0 = machineBusyMs();
  const t0 = performance.now();
  await runPool(paths.length, WORKER_CONCURRENCY, async (i) => {
    for (const p of IMAGE_PRESETS) {
      const info = await sharp(paths[i]!)
        .resize({ width: p.width, withoutEnlargement: true })
        .jpeg({ quality: p.quality })
        .toFile(join(outDir, `${i}-${p.name}.jpg`));
      outputs[i]!.push({ width: info.width, height: info.height, size: info.size });
    }
  });
  const wallMs = performance.now() - t0;
  const cpuMs = ownCpuMs() - cpu0;
  return { wallMs, cpuMs, otherCores: Math.max(0, machineBusyMs() - machine0 - cpuMs) / wallMs, outputs };
}

/** Waits (up to 60 s) until the process has used under 5 % of a core for a whole second: its background work is done. */
async function waitIdle(pid: number): Promise<void> {
  const deadline = performance.now() + 60_000;
  let last = cpuMs(pid);
  while (performance.now() < deadline) {
    await sleep(1000);
    const now = cpuMs(pid);
    if (now - last < 50) return;
    last = now;
  }
}

type TileBaseline = { ms: number; cpuMs: number; rssBefore: number; maxRss: number; tiles: number; otherCores: number };

/** sharp's own dzsave of `src` into `outDir`, in a child process of its own (so its peak RSS is its own). */
async function sharpTiles(src: string, outDir: string): Promise<TileBaseline> {
  await mkdir(outDir, { recursive: true });
  const code = `
    import sharp from 'sharp';
    const rssBefore = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sharp(process.env.TILE_SRC, { limitInputPixels: 0x3fff * 0x3fff })
      .jpeg({ quality: ${TILE.quality} })
      .tile({ size: ${TILE.size}, overlap: ${TILE.overlap}, layout: 'dz' })
      .toFile(process.env.TILE_OUT);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rssBefore, maxRss: process.resourceUsage().maxRSS * 1024 }));
  `;
  const machine0 = machineBusyMs();
  const client0 = ownCpuMs();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, TILE_SRC: src, TILE_OUT: join(outDir, 'pyramid') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const code_ = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  }).finally(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const wallMs = performance.now() - t0;
  if (code_ !== 0) throw new Error(`sharp tile baseline exited ${code_}: ${err.slice(-2000)}`);
  const r = JSON.parse(out) as Omit<TileBaseline, 'tiles' | 'otherCores'>;
  const tiles = await countFiles(join(outDir, 'pyramid_files'));
  const machine = machineBusyMs() - machine0 - (ownCpuMs() - client0);
  // the child's whole life (start-up included) against its measured CPU: an estimate of everything else's load
  return { ...r, tiles, otherCores: Math.max(0, machine - r.cpuMs) / wallMs };
}

/** Tile images under `dir` (dzsave also writes a vips-properties.xml there). */
async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) n += await countFiles(join(dir, entry.name));
    else if (/\.(jpe?g|png)$/.test(entry.name)) n++;
  }
  return n;
}

// ── the server over GraphQL ──────────────────────────────────────────────────────────────────────────────────────

const PROCESSING = /* GraphQL */ `
  query BenchProcessing { files(first: 100, status: "processing") { edges { node { uuid } } } }
`;

const FILES_PAGE = /* GraphQL */ `
  query BenchMediaFiles($after: String) {
    files(first: 100, after: $after, fileType: "image") {
      edges { node { uuid status mimeType width height insertedAt updatedAt metadata
        instances { variantName processingStatus width height size } } }
      pageInfo { endCursor hasNextPage }
    }
  }
`;

const DIMENSIONS = /* GraphQL */ `
  query BenchDimensions {
    storageDimensions(first: 100) { edges { node { name appliesTo enabled width format quality maintainAspectRatio alternativeFormats } } }
  }
`;

type Instance = { variantName: string; processingStatus: string; width: number | null; height: number | null; size: number };
type FileRow = {
  uuid: string;
  status: string;
  mimeType: string;
  width: number | null;
  height: number | null;
  insertedAt: string;
  updatedAt: string;
  metadata: Record<string, unknown> | null;
  instances: Instance[];
};

async function setSetting(t: Target, token: string, key: string, value: string): Promise<void> {
  const r = await gql(
    t,
    `mutation($key: String!, $value: String!) { updateSetting(input: { key: $key, value: $value }) { __typename ... on Error { message } } }`,
    { key, value },
    token,
  );
  if (r.updateSetting.__typename !== 'MutationUpdateSettingSuccess') throw new Error(`setting ${key}: ${JSON.stringify(r)}`);
}

/** Every image file the viewer sees, by uuid. */
async function imageFiles(t: Target, token: string): Promise<Map<string, FileRow>> {
  const out = new Map<string, FileRow>();
  let after: string | null = null;
  for (;;) {
    const page: any = await gql(t, FILES_PAGE, { after }, token);
    for (const e of page.files.edges as Array<{ node: FileRow }>) out.set(e.node.uuid, e.node);
    if (!page.files.pageInfo.hasNextPage) return out;
    after = page.files.pageInfo.endCursor;
  }
}

/** Waits until none of `uuids` is `processing` (a processed file is `active` only once all its variants are done). */
async function waitProcessed(t: Target, token: string, uuids: readonly string[], pollMs: number, timeoutMs: number): Promise<void> {
  const wanted = new Set(uuids);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const r = await gql(t, PROCESSING, {}, token);
    const edges = r.files.edges as Array<{ node: { uuid: string } }>;
    if (!edges.some((e) => wanted.has(e.node.uuid))) return;
    if (performance.now() > deadline) throw new Error(`${edges.length} files still processing after ${fmt(timeoutMs / 1000, 0)} s`);
    await sleep(pollMs);
  }
}

async function uploadFiles(t: Target, token: string, paths: readonly string[], concurrency: number, label: string): Promise<string[]> {
  const uuids: string[] = new Array(paths.length);
  await runPool(paths.length, concurrency, async (i) => {
    const r = await uploadBuffer(t, token, await readFile(paths[i]!), `${label}-${i}.jpg`);
    if (r.duplicate) throw new Error(`${label} ${i}: unexpectedly a duplicate`);
    uuids[i] = r.uuid;
  });
  return uuids;
}

/** Tile paths of a DZI pyramid (every level, every column and row), as dzsave and OpenSeadragon lay them out. */
function tilePaths(width: number, height: number, tileSize: number, format: string): string[] {
  let top = 0;
  while (2 ** top < Math.max(width, height)) top++;
  const paths: string[] = [];
  for (let level = 0; level <= top; level++) {
    const f = 2 ** (top - level);
    const cols = Math.ceil(Math.max(1, Math.ceil(width / f)) / tileSize);
    const rows = Math.ceil(Math.max(1, Math.ceil(height / f)) / tileSize);
    for (let col = 0; col < cols; col++) for (let row = 0; row < rows; row++) paths.push(`${level}/${col}_${row}.${format}`);
  }
  return paths;
}

/** Where the CPU went during a phase, per unit of work. */
function cpuLine(sample: ProcSample, per: number, unit: string): string {
  const parts = [
    `server ${fmt(sample.cpuMs / per, 0)} CPU-ms/${unit} (main thread ${fmt(sample.mainThreadCpuMs / per, 0)})`,
    ...(sample.companionCpuMs === null ? [] : [`its postgres backends ${fmt(sample.companionCpuMs / per, 0)}`]),
    `bench client ${fmt(sample.clientCpuMs / per, 0)}`,
    `rest of the machine ${fmt(sample.otherCores, 2)} cores busy`,
  ];
  return parts.join(', ');
}

export async function run(opts: Options): Promise<void> {
  const imageCount = opts.quick ? 10 : 100;
  const warmCount = opts.quick ? 1 : 3;
  const photoSize = { width: 4000, height: 3000 };
  const tileSide = opts.quick ? 5000 : 10000;
  // completion is read from the files' updatedAt (server clock, same machine), so polling can be sparse
  const pollMs = opts.quick ? 250 : 500;

  say(
    `media bench${opts.quick ? ' (quick)' : ''}: ${opts.postgres ? 'PostgreSQL (scratch database)' : 'embedded PGlite'}; ` +
      `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}), node ${process.version}, ` +
      `sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips} (${sharp.concurrency()} thread(s) per pipeline), ` +
      `load average ${loadavg().map((l) => fmt(l, 2)).join(' ')}`,
  );
  const root = await mkdtemp(join(tmpdir(), 'pk-bench-media-'));
  const dataDir = join(root, 'data');
  const inputs = join(root, 'inputs');
  await mkdir(dataDir, { recursive: true });
  await mkdir(inputs, { recursive: true });
  const profileDir = join(root, 'cpu-profiles');
  let scratch: TestDatabase | undefined;
  let server: Child | undefined;
  const fig1: Row[] = [];
  const fig2: Row[] = [];
  const notes: string[] = [];
  let first: Child | undefined;
  const stopServer = async (s: Child, label: string) => {
    const logged = s.output();
    await s.stop().catch(() => undefined);
    if (logged.length > 0) notes.push(`the server (${label}) logged ${logged.length} lines at warn or above; first: ${logged[0]!.slice(0, 300)}`);
  };
  const busy = (phase: string, otherCores: number) => {
    if (otherCores > BUSY_CORES) notes.push(`${phase}: other processes kept ${fmt(otherCores, 2)} cores busy; its figures are unreliable`);
  };
  try {
    // ── inputs ─────────────────────────────────────────────────────────────────────────────────────────────────
    const g0 = performance.now();
    const grain = { data: await grainField(1024, 768), width: 1024, height: 768 };
    const photoPaths = Array.from({ length: warmCount + imageCount }, (_, i) => join(inputs, `photo-${i}.jpg`));
    let photoBytes = 0;
    await runPool(photoPaths.length, availableParallelism(), async (i) => {
      const jpeg = await photo(photoSize.width, photoSize.height, grain);
      photoBytes += jpeg.length;
      await writeFile(photoPaths[i]!, jpeg);
    });
    const tileSrc = join(inputs, 'tile-source.jpg');
    await writeFile(tileSrc, await photo(tileSide, tileSide, grain));
    const tileSrcBytes = (await stat(tileSrc)).size;
    say(
      `inputs: ${photoPaths.length} JPEGs ${photoSize.width}×${photoSize.height} (q${SOURCE_QUALITY}, ${fmt(toMiB(photoBytes / photoPaths.length), 2)} MiB each on average) ` +
        `and a ${tileSide}×${tileSide} one (${fmt(toMiB(tileSrcBytes))} MiB), made in ${fmt((performance.now() - g0) / 1000)} s`,
    );
    const warmPaths = photoPaths.slice(0, warmCount);
    const benchPaths = photoPaths.slice(warmCount);

    // ── server ─────────────────────────────────────────────────────────────────────────────────────────────────
    if (opts.postgres) {
      scratch = await createTestDatabase('bench');
      say(`scratch database ${scratch.name}`);
    }
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
    });
    first = server;
    say(`server pid ${server.pid}, port ${server.port}, ready in ${fmt((performance.now() - t0) / 1000)} s; DATA_DIR ${dataDir}`);
    const app = target(server.port, 10);
    const owner = await register(app, 'owner');
    // the presets the server will use must be the ones the baseline renders
    const dims = (await gql(app, DIMENSIONS, {}, owner.token)).storageDimensions.edges.map((e: any) => e.node) as Array<{
      name: string;
      appliesTo: string;
      enabled: boolean;
      width: number;
      format: string | null;
      quality: number;
      maintainAspectRatio: boolean;
      alternativeFormats: string[];
    }>;
    const serverPresets = dims
      .filter((d) => d.enabled && d.appliesTo !== 'video')
      .map((d) => `${d.name} ${d.width}w ${d.format ?? 'same'} q${d.quality}${d.maintainAspectRatio ? ' fit-width' : ' crop'}${d.alternativeFormats.length ? ` +${d.alternativeFormats.join('/')}` : ''}`)
      .sort();
    const ourPresets = IMAGE_PRESETS.map((p) => `${p.name} ${p.width}w jpg q${p.quality} fit-width`).sort();
    if (serverPresets.join('|') !== ourPresets.join('|')) {
      throw new Error(`the server's image presets are not the defaults: ${serverPresets.join(', ')}`);
    }
    say(`image presets (server = baseline): ${IMAGE_PRESETS.map((p) => `${p.name} ${p.width}w q${p.quality}`).join(', ')}; JPEG, fit inside the width, never enlarged`);

    // warm-up: JIT, the bucket's directories, the job queue's first fetches (and figure 2's warm-up pyramid)
    const warmUuids = await uploadFiles(app, owner.token, warmPaths, 1, 'warm');
    await waitProcessed(app, owner.token, warmUuids, pollMs, 600_000);

    // ── Figure 1: variants of N 12 Mpx JPEGs ─────────────────────────────────────────────────────────────────
    if (wanted(opts, 1)) {
      say(`\n[1] variants of ${imageCount} JPEGs of ${mpx(photoSize.width, photoSize.height)} (${IMAGE_PRESETS.length} presets each)`);
      await rawSharpVariants(warmPaths, join(root, 'raw-warm'));
      const raw = await rawSharpVariants(benchPaths, join(root, 'raw'));
      await rm(join(root, 'raw'), { recursive: true, force: true });
      await rm(join(root, 'raw-warm'), { recursive: true, force: true });
      busy('figure 1 (raw sharp)', raw.otherCores);
      const rawRate = imageCount / (raw.wallMs / 1000);
      say(
        `    raw sharp in this process (${WORKER_CONCURRENCY} image at a time, presets in turn): ${fmt(raw.wallMs / 1000, 2)} s = ` +
          `${fmt(rawRate, 2)} images/s; ${fmt(raw.cpuMs / imageCount, 0)} CPU-ms/image; rest of the machine ${fmt(raw.otherCores, 2)} cores busy`,
      );

      await sleep(1_000);
      const idleWatch = new ProcWatch(server.pid, 100);
      await sleep(opts.quick ? 1_000 : 3_000);
      const idle = idleWatch.stop();
      say(`    server idle: ${fmt((idle.cpuMs * 1000) / idle.wallMs)} CPU-ms/s (background work; included in every CPU figure below)`);

      const watch = new ProcWatch(server.pid, 20, await companions());
      const uploadStart = performance.now();
      const startedAt = Date.now();
      const uuids = await uploadFiles(app, owner.token, benchPaths, UPLOAD_CONCURRENCY, 'photo');
      const uploadMs = performance.now() - uploadStart;
      await waitProcessed(app, owner.token, uuids, pollMs, 3_600_000);
      const sample = watch.stop(await companions());
      busy('figure 1 (server)', sample.otherCores);

      // check what was made against the baseline's outputs
      const rows = await imageFiles(app, owner.token);
      const mine = uuids.map((u) => rows.get(u));
      const problems: string[] = [];
      let serverVariantBytes = 0;
      let rawVariantBytes = 0;
      let sameDims = 0;
      for (const [i, f] of mine.entries()) {
        if (!f) {
          problems.push(`file ${i} not listed`);
          continue;
        }
        if (f.status !== 'active') problems.push(`file ${i} ${f.status}: ${JSON.stringify(f.metadata?.processing_error ?? '')}`);
        if (f.mimeType !== 'image/jpeg') problems.push(`file ${i} stored as ${f.mimeType}`);
        for (const [k, p] of IMAGE_PRESETS.entries()) {
          const v = f.instances.find((x) => x.variantName === p.name);
          const r = raw.outputs[i]![k]!;
          rawVariantBytes += r.size;
          if (!v || v.processingStatus !== 'completed') {
            problems.push(`file ${i} variant ${p.name}: ${v?.processingStatus ?? 'missing'}`);
            continue;
          }
          serverVariantBytes += v.size;
          if (v.width === r.width && v.height === r.height) sameDims++;
          else problems.push(`file ${i} ${p.name}: ${v.width}×${v.height}, sharp ${r.width}×${r.height}`);
        }
        const extra = f.instances.filter((x) => x.variantName !== 'original' && !IMAGE_PRESETS.some((p) => p.name === x.variantName));
        if (extra.length > 0) problems.push(`file ${i}: unexpected variants ${extra.map((x) => x.variantName).join(', ')}`);
      }
      if (problems.length > 0) notes.push(`figure 1: ${problems.length} problem(s); first: ${problems.slice(0, 5).join('; ')}`);
      // a file's updatedAt is last written when it turns active, after its last variant
      const done = mine
        .filter((f): f is FileRow => f !== undefined)
        .map((f) => Date.parse(f.updatedAt))
        .sort((a, b) => a - b);
      const endToEndMs = done.length > 0 ? done.at(-1)! - startedAt : sample.wallMs;
      const rate = imageCount / (endToEndMs / 1000);
      const gaps = done.slice(1).map((t, i) => t - done[i]!).sort((a, b) => a - b);
      say(
        `    server, end to end (${UPLOAD_CONCURRENCY} uploads at a time; from the first upload to the last file's updatedAt ` +
          `as it turned active): ${fmt(endToEndMs / 1000, 2)} s = ${fmt(rate, 2)} images/s (uploads took ${fmt(uploadMs / 1000, 2)} s of it; ` +
          `seen by polling every ${pollMs} ms after ${fmt(sample.wallMs / 1000, 2)} s)`,
      );
      say(`      ${cpuLine(sample, imageCount, 'image')}; server busy ${fmt(sample.cpuMs / sample.wallMs, 2)} cores on average`);
      say(
        `      one file finished every ${fmt(percentile(gaps, 50) / 1000, 2)} s (median; p90 ${fmt(percentile(gaps, 90) / 1000, 2)} s); ` +
          `raw sharp: ${fmt(raw.wallMs / imageCount / 1000, 2)} s per image`,
      );
      say(
        `      outputs: ${sameDims} of ${imageCount * IMAGE_PRESETS.length} variants the same size as sharp's; variant bytes ` +
          `${fmt(toMiB(serverVariantBytes))} MiB (sharp: ${fmt(toMiB(rawVariantBytes))} MiB)`,
      );
      say(
        `      server RSS ${fmt(toMiB(sample.rssBefore))} MiB before, peak ${fmt(toMiB(sample.rssPeak))} MiB ` +
          `(${sample.samples} samples + the kernel's high-water mark)`,
      );
      fig1.push(
        {
          figure: `1 variants ${imageCount} × ${mpx(photoSize.width, photoSize.height)}`,
          metric: 'images/s, upload to all variants',
          value: `${fmt(rate, 2)} = ${fmt((100 * rate) / rawRate, 0)} % of raw sharp ${fmt(rawRate, 2)}`,
          target: `≥ ${TARGETS.variantShare * 100} % of raw sharp`,
          pass: rate >= TARGETS.variantShare * rawRate && problems.length === 0,
        },
        {
          figure: '',
          metric: 'CPU per image',
          value: `server ${fmt(sample.cpuMs / imageCount, 0)} ms, raw sharp ${fmt(raw.cpuMs / imageCount, 0)} ms`,
          target: 'report',
          pass: null,
        },
        { figure: '', metric: 'server peak RSS growth', value: `${fmt(toMiB(sample.rssGrowth))} MiB`, target: 'report', pass: null },
      );
    }

    // ── Figure 2: deep-zoom pyramid ────────────────────────────────────────────────────────────────────────────
    if (wanted(opts, 2)) {
      const tileLabel = `2 tiles ${tileSide}×${tileSide}`;
      say(`\n[2] deep-zoom pyramid of a ${tileSide}×${tileSide} JPEG (${mpx(tileSide, tileSide)}; ${TILE.size} px tiles, overlap ${TILE.overlap}, JPEG q${TILE.quality})`);
      // our side first gets its source: uploaded and processed (its variants) like any photo, before anything is timed.
      // Whatever is missing or refused is reported, not thrown (the tiles module may still be in progress).
      const dziPathOf = async (uuid: string): Promise<{ path: string } | { reason: string }> => {
        let file: { status: string; dziUrl: string | null } | null;
        try {
          file = (await gql(app, `query($uuid: UUID!) { file(uuid: $uuid) { status dziUrl } }`, { uuid }, owner.token)).file;
        } catch (error) {
          return { reason: `File.dziUrl: ${(error as Error).message.slice(0, 200)}` };
        }
        if (!file?.dziUrl) return { reason: `File.dziUrl is null (file ${file?.status ?? 'missing'})` };
        return { path: new URL(file.dziUrl).pathname };
      };
      const tiles = await (async (): Promise<{ ok: true; dziPath: string; warmPath: string } | { ok: false; reason: string }> => {
        try {
          await setSetting(app, owner.token, 'storage_tile_generation_enabled', 'true');
        } catch (error) {
          return { ok: false, reason: `cannot switch tiles on: ${(error as Error).message.slice(0, 200)}` };
        }
        const p0 = performance.now();
        const [uuid] = await uploadFiles(app, owner.token, [tileSrc], 1, 'tile-source');
        await waitProcessed(app, owner.token, [uuid!], pollMs, 1_800_000);
        say(`    tile source uploaded and processed (its ${IMAGE_PRESETS.length} variants) in ${fmt((performance.now() - p0) / 1000, 2)} s, not timed`);
        const main = await dziPathOf(uuid!);
        const warm = await dziPathOf(warmUuids[0]!);
        if ('reason' in main) return { ok: false, reason: main.reason };
        if ('reason' in warm) return { ok: false, reason: warm.reason };
        return { ok: true, dziPath: main.path, warmPath: warm.path };
      })();

      // a fresh server process on the same data, so its RSS is not what figure 1 left in the allocator
      await stopServer(server, 'figure 1');
      server = undefined;
      const r0 = performance.now();
      server = await startAppServer({
        dataDir,
        databaseUrl: scratch?.url,
        nodeArgs: opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      });
      say(`    server restarted for this figure: pid ${server.pid}, ready in ${fmt((performance.now() - r0) / 1000)} s`);
      await sleep(opts.quick ? 500 : 2_000);

      const base = await sharpTiles(tileSrc, join(root, 'sharp-tiles'));
      await rm(join(root, 'sharp-tiles'), { recursive: true, force: true });
      busy('figure 2 (sharp .tile())', base.otherCores);
      say(
        `    sharp .tile({ layout: 'dz' }) in a child process: ${fmt(base.ms / 1000, 2)} s, ${base.tiles} tiles; ${fmt(base.cpuMs, 0)} CPU-ms; ` +
          `RSS ${fmt(toMiB(base.rssBefore))} MiB before, peak ${fmt(toMiB(base.maxRss))} MiB`,
      );
      fig2.push({
        figure: tileLabel,
        metric: "sharp's .tile() alone",
        value: `${fmt(base.ms / 1000, 2)} s, peak RSS ${fmt(toMiB(base.maxRss))} MiB (growth ${fmt(toMiB(base.maxRss - base.rssBefore))})`,
        target: 'report',
        pass: null,
      });

      if (!tiles.ok) {
        say(`    server: not available: ${tiles.reason}`);
        fig2.push({ figure: '', metric: 'server: manifest + first tile', value: `n/a: ${tiles.reason}`, target: `≤ ${TARGETS.tileRatio}× sharp`, pass: null });
      } else {
        const tileTarget = target(server.port, TILE_FETCH_CONCURRENCY);
        // warm-up on the fresh process (first requests, JIT, the store path): a pyramid of one 12 Mpx photo
        const w0 = performance.now();
        const warmManifest = await request(tileTarget, { method: 'GET', path: tiles.warmPath });
        const warmFormat = /Format="(\w+)"/.exec(warmManifest.body.toString('utf8'))?.[1] ?? 'jpg';
        const warmTile = await request(tileTarget, { method: 'GET', path: `${tiles.warmPath.replace(/\.dzi$/, '_files')}/0/0_0.${warmFormat}` });
        say(
          `    warm-up: manifest and first tile of a ${mpx(photoSize.width, photoSize.height)} photo (its whole pyramid) in ` +
            `${fmt((performance.now() - w0) / 1000, 2)} s (HTTP ${warmManifest.status}, ${warmTile.status})`,
        );
        // the warm-up pyramid is stored in the background: measure from a quiet server
        await waitIdle(server.pid);
        const genWatch = new ProcWatch(server.pid, 20, await companions());
        const genStart = performance.now();
        const manifestReply = await request(tileTarget, { method: 'GET', path: tiles.dziPath });
        const manifestMs = performance.now() - genStart;
        const xml = manifestReply.body.toString('utf8');
        const width = Number(/Width="(\d+)"/.exec(xml)?.[1]);
        const height = Number(/Height="(\d+)"/.exec(xml)?.[1]);
        const format = /Format="(\w+)"/.exec(xml)?.[1] ?? '';
        const tileSize = Number(/TileSize="(\d+)"/.exec(xml)?.[1]);
        let failure: string | null = null;
        if (manifestReply.status !== 200 || !(width > 0 && height > 0 && tileSize > 0)) {
          failure = `manifest: HTTP ${manifestReply.status} ${xml.slice(0, 200)}`;
        }
        const tileBase = tiles.dziPath.replace(/\.dzi$/, '_files');
        const firstTile = failure ? null : await request(tileTarget, { method: 'GET', path: `${tileBase}/0/0_0.${format}` });
        const gen = genWatch.stop(await companions());
        if (firstTile && firstTile.status !== 200) failure = `first tile: HTTP ${firstTile.status} ${firstTile.body.toString('utf8').slice(0, 200)}`;
        busy('figure 2 (server)', gen.otherCores);

        if (failure) {
          say(`    server: not working: ${failure}`);
          fig2.push({ figure: '', metric: 'server: manifest + first tile', value: `n/a: ${failure}`, target: `≤ ${TARGETS.tileRatio}× sharp`, pass: null });
        } else {
          // sharp once more, after the server's pyramid is stored: the server is compared with the mean of both runs
          await waitIdle(server.pid);
          const again = await sharpTiles(tileSrc, join(root, 'sharp-tiles'));
          await rm(join(root, 'sharp-tiles'), { recursive: true, force: true });
          busy('figure 2 (sharp .tile(), second run)', again.otherCores);
          const baseMs = (base.ms + again.ms) / 2;
          say(`    sharp .tile() again, after the server's pyramid: ${fmt(again.ms / 1000, 2)} s; ${fmt(again.cpuMs, 0)} CPU-ms (mean of both: ${fmt(baseMs / 1000, 2)} s)`);
          fig2[0]!.value = `${fmt(baseMs / 1000, 2)} s (mean of ${fmt(base.ms / 1000, 2)} and ${fmt(again.ms / 1000, 2)}), peak RSS ${fmt(toMiB(Math.max(base.maxRss, again.maxRss)))} MiB (growth ${fmt(toMiB(base.maxRss - base.rssBefore))})`;
          const ratio = gen.wallMs / baseMs;
          say(
            `    server: manifest ${fmt(manifestMs, 0)} ms, then the first tile (renders the whole pyramid, stores that tile) ` +
              `${fmt((gen.wallMs - manifestMs) / 1000, 2)} s: ${fmt(gen.wallMs / 1000, 2)} s in all = ${fmt(ratio, 2)}× sharp`,
          );
          say(`      ${cpuLine(gen, 1, 'pyramid')} (sharp alone: ${fmt(base.cpuMs, 0)} CPU-ms)`);
          say(`      server RSS ${fmt(toMiB(gen.rssBefore))} MiB before, peak ${fmt(toMiB(gen.rssPeak))} MiB (${gen.samples} samples + the kernel's high-water mark)`);

          // every tile once (now served from storage)
          const all = tilePaths(width, height, tileSize, format);
          const serveWatch = new ProcWatch(server.pid, 50, await companions());
          let bad = 0;
          let firstBad = '';
          let bytes = 0;
          await runPool(all.length, TILE_FETCH_CONCURRENCY, async (i) => {
            const r = await request(tileTarget, { method: 'GET', path: `${tileBase}/${all[i]}` });
            if (r.status !== 200) {
              bad++;
              firstBad ||= `${all[i]}: HTTP ${r.status}`;
            } else bytes += r.body.length;
          });
          const serve = serveWatch.stop(await companions());
          if (bad > 0) notes.push(`figure 2: ${bad} of ${all.length} tiles not served; first: ${firstBad}`);
          if (all.length !== base.tiles) notes.push(`figure 2: the manifest implies ${all.length} tiles, sharp made ${base.tiles}`);
          say(
            `    then every tile fetched once (${TILE_FETCH_CONCURRENCY} at a time): ${all.length - bad} of ${all.length} ` +
              `(${fmt(toMiB(bytes))} MiB) in ${fmt(serve.wallMs / 1000, 2)} s = ${fmt(all.length / (serve.wallMs / 1000), 0)} tiles/s; ` +
              `server RSS peak ${fmt(toMiB(serve.rssPeak))} MiB`,
          );
          fig2.push(
            {
              figure: '',
              metric: 'server: manifest + first tile',
              value: `${fmt(gen.wallMs / 1000, 2)} s = ${fmt(ratio, 2)}× sharp`,
              target: `≤ ${TARGETS.tileRatio}× sharp`,
              pass: ratio <= TARGETS.tileRatio,
            },
            {
              figure: '',
              metric: 'server peak RSS (pyramid)',
              value: `${fmt(toMiB(gen.rssPeak))} MiB (growth ${fmt(toMiB(gen.rssGrowth))})`,
              target: 'report',
              pass: null,
            },
            {
              figure: '',
              metric: 'every tile served once',
              value: `${all.length} tiles in ${fmt(serve.wallMs / 1000, 2)} s`,
              target: 'report',
              pass: bad === 0 ? null : false,
            },
          );
        }
      }
    }
  } finally {
    if (server) await stopServer(server, server === first ? 'figure 1' : 'figure 2');
    await scratch?.drop().catch((error: unknown) => notes.push(`could not drop ${scratch!.name}: ${String(error)}`));
    if (opts.cpuProf) {
      await rm(dataDir, { recursive: true, force: true });
      await rm(inputs, { recursive: true, force: true });
      say(`\nserver CPU profile (whole run): ${profileDir}`);
    } else {
      await rm(root, { recursive: true, force: true });
    }
  }

  say(`\n${resultsTable([...fig1, ...fig2])}`);
  for (const note of notes) say(`note: ${note}`);
}
