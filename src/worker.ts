// npm run worker: runs the job handlers against the same database as the server (PostgreSQL only).
import { loadConfig } from './config.js';
import { jobDefinitions } from './jobs/jobs.js';
import { createLogger } from './logger.js';
import { openRuntime, stopOnStartupError } from './runtime.js';

/** The configuration, or the process stops saying what is wrong with it. */
function configOrStop() {
  try {
    return loadConfig();
  } catch (error) {
    return stopOnStartupError(error);
  }
}

// before anything is opened: the embedded database belongs to the server process
if (configOrStop().database.kind !== 'postgres') {
  createLogger('error').error('a separate worker needs DATABASE_URL: the embedded database runs its jobs inside the server process');
  process.exit(2);
}
const { log, db, services, queue } = await openRuntime();
await queue.start();
await queue.register(jobDefinitions(services), true);
log.info('worker ready');

async function shutdown(signal: string) {
  log.info({ signal }, 'worker stopping');
  await services.close();
  await db.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
