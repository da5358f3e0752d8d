import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DataDirInUseError } from '../../src/db/data-dir-lock.js';
import { openEmbedded } from '../../src/db/database.js';
import { loadOrCreateSecretKeyBase } from '../../src/security/secrets.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-embedded-'));
  dirs.push(dir);
  return dir;
};
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs `args` with node; resolves with its exit code and output. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => done({ code, output }));
  });
}

describe('the embedded database directory', () => {
  test('is used by one process at a time: a second is refused while the first lives, and takes over once it is gone', async () => {
    const dir = join(tempDir(), 'pglite');
    // another process (a running server) holds the directory
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `const { lockDataDir } = await import(${JSON.stringify(join(ROOT, 'src/db/data-dir-lock.ts'))}); lockDataDir(process.argv.at(-1)); console.log('held'); setInterval(() => {}, 1000);`, '--', dir],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(holder);
    await new Promise<void>((held) => holder.stdout!.on('data', (c: Buffer) => c.toString().includes('held') && held()));
    expect(Number(readFileSync(`${dir}.lock`, 'utf8'))).toBe(holder.pid);

    await expect(openEmbedded(dir, { prefix: 'public' })).rejects.toBeInstanceOf(DataDirInUseError);

    // the holder dies without cleaning up: its lock is stale and taken over
    holder.kill('SIGKILL');
    await new Promise((gone) => holder.once('exit', gone));
    const db = await openEmbedded(dir, { prefix: 'public' });
    expect(Number(readFileSync(`${dir}.lock`, 'utf8'))).toBe(process.pid);
    await db.sql.query('SELECT 1');
    await db.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  test('two processes starting at once never both hold it, with or without a stale lock left by a crash', async () => {
    const base = tempDir();
    const dirs = Array.from({ length: 2000 }, (_, i) => join(base, `d${i}`));
    dirs.forEach((d, i) => i % 2 === 0 && writeFileSync(`${d}.lock`, '999999999\n')); // a pid no process has
    const startAt = Date.now() + 4000;
    const lockers = [0, 1].map(() =>
      spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/processes/lock-data-dirs.ts'), String(startAt), ...dirs], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    children.push(...lockers);
    const took = await Promise.all(
      lockers.map(
        (c) =>
          new Promise<number[]>((done) => {
            let out = '';
            c.stdout!.on('data', (chunk: Buffer) => {
              out += chunk.toString();
              if (out.includes('\n')) done(JSON.parse(out) as number[]);
            });
          }),
      ),
    );
    for (const c of lockers) c.stdin!.end('x');
    expect(took[0]!.filter((i) => took[1]!.includes(i))).toEqual([]);
    // and each directory went to one of them
    expect(new Set([...took[0]!, ...took[1]!]).size).toBe(dirs.length);
  }, 60_000);

  test('`npm run worker` without DATABASE_URL refuses before it opens (and migrates) the embedded database', async () => {
    const dataDir = tempDir();
    const result = await run(['--import', 'tsx', 'src/worker.ts'], { DATA_DIR: dataDir, SECRET_KEY_BASE: 'x'.repeat(40) });
    expect(result.code).toBe(2);
    expect(result.output).toMatch(/needs DATABASE_URL/);
    expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
  }, 60_000);
});

describe('the generated root secret', () => {
  test('a stored one that is empty or short is refused, not used', () => {
    for (const content of ['', '\n', 'short']) {
      const dataDir = tempDir();
      writeFileSync(join(dataDir, 'secret_key_base'), content);
      expect(() => loadOrCreateSecretKeyBase(undefined, dataDir)).toThrow(/no usable secret/);
    }
  });

  test('is made once, whole, and read back the same; only the file itself is left', () => {
    const dataDir = tempDir();
    const made = loadOrCreateSecretKeyBase(undefined, dataDir);
    expect(made.length).toBeGreaterThanOrEqual(32);
    expect(loadOrCreateSecretKeyBase(undefined, dataDir)).toBe(made);
    expect(readFileSync(join(dataDir, 'secret_key_base'), 'utf8').trim()).toBe(made);
    expect(readdirSync(dataDir)).toEqual(['secret_key_base']);
  });
});
