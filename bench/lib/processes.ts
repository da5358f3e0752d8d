import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (bench/lib/../..). */
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** A fixed root secret, so URL tokens and bucket keys do not depend on a generated file. */
export const BENCH_SECRET_KEY_BASE = 'phoenixkit-bench-secret-key-base-0123456789abcdef';

export type GcCounts = { scavenges: number; markCompacts: number; pauseMs: number };

export type Child = {
  name: string;
  pid: number;
  port: number;
  /** Lines the process wrote to stderr/stdout (kept for the report), without `--trace-gc` lines. */
  output(): string[];
  /** Garbage collections so far, counted from `--trace-gc` lines (zeros when the process was not started with it). */
  gc(): GcCounts;
  stop(): Promise<void>;
};

/** A port free right now (the kernel's pick), for a child that needs it before it starts. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolvePort(port));
    });
  });
}

const children = new Set<ChildProcess>();
/** Last resort on an interrupted run: signal the children this bench started (by pid). */
export function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

function track(name: string, child: ChildProcess, port: number): Child {
  children.add(child);
  const lines: string[] = [];
  const gc: GcCounts = { scavenges: 0, markCompacts: 0, pauseMs: 0 };
  let partial = '';
  const collect = (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      // --trace-gc: "[pid:0x…]   1234 ms: Scavenge 12.1 (14.0) -> 11.5 (15.0) MB, 0.80 / 0.00 ms  (…) reason"
      const trace = /^\[\d+:0x[0-9a-f]+\]\s+[\d.]+ ms: (Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Sweep)\b.*?MB, ([\d.]+) \//.exec(line);
      if (trace) {
        if (trace[1] === 'Scavenge' || trace[1] === 'Minor Mark-Sweep') gc.scavenges++;
        else gc.markCompacts++;
        gc.pauseMs += Number(trace[2]);
      } else if (line.trim()) {
        lines.push(line);
      }
    }
    if (lines.length > 2000) lines.splice(0, lines.length - 2000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name,
    pid: child.pid!,
    port,
    output: () => lines,
    gc: () => ({ ...gc }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      children.delete(child);
    },
  };
}

async function waitReady(child: ChildProcess, name: string, port: number, path: string, lines: () => string[]): Promise<void> {
  const deadline = Date.now() + 180_000;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name} exited during start:\n${lines().slice(-40).join('\n')}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} not ready after 180 s:\n${lines().slice(-40).join('\n')}`);
}

export type AppServerOptions = {
  dataDir: string;
  databaseUrl?: string;
  /** Extra node flags for the server (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Start with `--trace-gc`, so `gc()` counts the server's garbage collections. */
  traceGc?: boolean;
};

/** The node flags `npm start` runs the server with (package.json), so the bench measures the same process. */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const match = /\bnode((?:\s+--[\w-]+(?:=\S+)?)*)\s+--import tsx src\/main\.ts\b/.exec(pkg.scripts.start ?? '');
  if (!match) throw new Error(`package.json's start script does not run "node [flags] --import tsx src/main.ts": ${pkg.scripts.start}`);
  return match[1]!.trim().split(/\s+/).filter(Boolean);
}

/** The real server (`src/main.ts` under node with the tsx loader: one process, so /proc shows the server itself). */
export async function startAppServer(opts: AppServerOptions): Promise<Child> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: opts.dataDir,
    LOG_LEVEL: 'warn',
    SECRET_KEY_BASE: BENCH_SECRET_KEY_BASE,
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
  };
  const nodeArgs = [...startFlags(), ...(opts.traceGc ? ['--trace-gc'] : []), ...(opts.nodeArgs ?? [])];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const handle = track('server', child, port);
  try {
    await waitReady(child, 'server', port, '/readyz', handle.output);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}

/** A reference server of the bench (`bench/<script>`), ready at /healthz; `flags`: with the server's node flags. */
async function startReference(name: string, script: string, env: Record<string, string>, flags: string[] = []): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const handle = track(name, child, port);
  try {
    await waitReady(child, name, port, '/healthz', handle.output);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}

/** The minimal upload baseline: node:http + busboy + fs, nothing else (bench/baseline-server.ts). */
export function startBaselineServer(dir: string): Promise<Child> {
  return startReference('baseline', 'bench/baseline-server.ts', { UPLOAD_DIR: dir });
}

/** The upload floor: yoga + graphql-upload-minimal + pg, hash, disk and two statements (bench/upload-reference-server.ts). */
export function startUploadReference(databaseUrl: string, dir: string): Promise<Child> {
  return startReference('upload reference', 'bench/upload-reference-server.ts', { DATABASE_URL: databaseUrl, UPLOAD_DIR: dir }, startFlags());
}

/** The listing reference: yoga + graphql-js + pg with hand-written SQL (bench/list-reference-server.ts), run as the server is. */
export function startListReference(databaseUrl: string): Promise<Child> {
  return startReference('list reference', 'bench/list-reference-server.ts', {
    DATABASE_URL: databaseUrl,
    SECRET_KEY_BASE: BENCH_SECRET_KEY_BASE,
  }, startFlags());
}
