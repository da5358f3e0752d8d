// npm run worker: runs the job handlers against the same database as the server (PostgreSQL only).
import { jobDefinitions } from './jobs/jobs.js';
import { openRuntime } from './runtime.js';

const { config, log, db, services, queue } = await openRuntime();
if (config.database.kind !== 'postgres') {
  log.error('a separate worker needs DATABASE_URL: the embedded database runs its jobs inside the server process');
  process.exit(2);
}
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
