/**
 * `npm run bench -- <name> [--quick] [--postgres] [--cpu-prof] [--only=N,…]`: runs bench/<name>.ts (or only its figures
 * N, …) and prints its report.
 * Exits 0 whatever the figures (missed targets are reported as FAIL); non-zero only when the bench could not run.
 */
import { killChildren } from './lib/processes.js';

type BenchOptions = { quick: boolean; postgres: boolean; cpuProf: boolean; only: ReadonlySet<number> | null };
const benches: Record<string, () => Promise<{ run(opts: BenchOptions): Promise<void> }>> = {
  files: () => import('./files.js'),
  media: () => import('./media.js'),
  scale: () => import('./scale.js'),
};

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const names = args.filter((a) => !a.startsWith('--'));
const known = new Set(['--quick', '--postgres', '--cpu-prof']);
const onlyFlag = [...flags].find((f) => f.startsWith('--only='));
const only = onlyFlag ? new Set(onlyFlag.slice('--only='.length).split(',').map(Number)) : null;
const unknown = [...flags].filter((f) => !known.has(f) && f !== onlyFlag);
if (only && [...only].some((n) => !Number.isInteger(n) || n < 1)) unknown.push(onlyFlag!);
const load = names.length === 1 ? benches[names[0]!] : undefined;
if (!load || unknown.length > 0) {
  console.error(
    `usage: npm run bench -- <${Object.keys(benches).join('|')}> [--quick] [--postgres] [--cpu-prof] [--only=N,…]` +
      (unknown.length ? `\nunknown option(s): ${unknown.join(' ')}` : ''),
  );
  process.exit(2);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

try {
  const bench = await load();
  await bench.run({ quick: flags.has('--quick'), postgres: flags.has('--postgres'), cpuProf: flags.has('--cpu-prof'), only });
  process.exit(0);
} catch (error) {
  killChildren();
  console.error(error);
  process.exit(1);
}
