import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { migrateUp } from './db/migrations/runner.js';
import { createLogger } from './logger.js';

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

const app = createApp({ db, log, config });
const server = createServer(app);
server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ port }, `GraphQL ready at http://localhost:${port}/graphql`);
});

let stopping = false;
/** Stop accepting connections, let in-flight requests finish (bounded), then close the database. */
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const forced = setTimeout(() => {
    log.warn('shutdown timeout: closing remaining connections');
    server.closeAllConnections();
  }, config.shutdownTimeoutMs);
  forced.unref();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  await app.services.close();
  await db.close();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
