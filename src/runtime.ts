import { mkdirSync } from 'node:fs';
import { ConfigError, loadConfig } from './config.js';
import { DataDirInUseError } from './db/data-dir-lock.js';
import { openDatabase } from './db/database.js';
import { migrateUp } from './db/migrations/runner.js';
import { createLogger } from './logger.js';
import { createServices } from './services.js';

/** A start that cannot go on for a reason the operator fixes (a bad setting, a data directory in use): said plainly. */
export function stopOnStartupError(error: unknown): never {
  if (error instanceof ConfigError || error instanceof DataDirInUseError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

/** What the server and the worker share: config, logger, migrated database, services and the job queue. */
export async function openRuntime() {
  try {
    return await openRuntimeOrThrow();
  } catch (error) {
    stopOnStartupError(error);
  }
}

async function openRuntimeOrThrow() {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  if (config.database.kind === 'pglite') mkdirSync(config.database.dataDir, { recursive: true });
  const db = await openDatabase(config, { onPoolError: (err) => log.warn({ err }, 'idle database connection lost') });
  log.info(
    { database: config.database.kind === 'pglite' ? `pglite:${config.database.dataDir}` : 'postgres', prefix: config.prefix },
    'database opened',
  );
  if (config.migrateOnStart) {
    const version = await migrateUp(db.sql, { prefix: config.prefix, log: (line) => log.info(line) });
    log.info({ version }, 'migrations at latest version');
  }
  const services = createServices({ db, config, log });
  return { config, log, db, services, queue: services.jobs };
}
