// npm run migrate -- up [--version N] [--prefix P] | down --version N [--prefix P] | status [--prefix P]
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config.js';
import { openDatabase } from '../database.js';
import { validatePrefix } from './prefix.js';
import { migrateDown, migrateUp, migrationStatus } from './runner.js';

const USAGE = `usage:
  npm run migrate -- up [--version N] [--prefix P]
  npm run migrate -- down --version N [--prefix P]
  npm run migrate -- status [--prefix P]
Database: DATABASE_URL when set, else the embedded database in DATA_DIR (default ./data).`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseVersion(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) fail(`--version must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

const { positionals, values } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: { version: { type: 'string' }, prefix: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [command, ...extra] = positionals;
if (!command || !['up', 'down', 'status'].includes(command) || extra.length > 0) fail('unknown or missing command');
const config = loadConfig();
const prefix = values.prefix ?? config.prefix;
try {
  validatePrefix(prefix); // refused before any connection or SQL
} catch (error) {
  fail((error as Error).message);
}
const version = parseVersion(values.version);
if (command === 'down' && version === undefined) fail('down needs --version N (0 removes everything)');

if (config.database.kind === 'pglite') mkdirSync(config.database.dataDir, { recursive: true });
const db = await openDatabase(config);
const log = (line: string) => console.log(line);
try {
  if (command === 'up') {
    console.log(`installed version: ${await migrateUp(db.sql, { prefix, version, log })}`);
  } else if (command === 'down') {
    console.log(`installed version: ${await migrateDown(db.sql, { prefix, version: version!, log })}`);
  } else {
    const s = await migrationStatus(db.sql, { prefix });
    console.log(`prefix: ${s.prefix}\ninstalled version: ${s.installed}\nlatest version: ${s.latest}`);
    if (s.pending.length > 0) console.log(`pending: ${s.pending.map((v) => `V${String(v).padStart(2, '0')}`).join(' ')}`);
  }
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
