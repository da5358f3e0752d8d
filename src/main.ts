import { createServer } from 'node:http';
import { createApp } from './app.js';
import { jobDefinitions as jobDefinitionsFor } from './jobs/jobs.js';
import { openRuntime } from './runtime.js';

const { config, log, db, services, queue } = await openRuntime();
await queue.start();
await queue.register(jobDefinitionsFor(services), config.jobsInProcess);

const app = createApp({ db, log, config, services });
const server = createServer(app);
server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ port, jobs: config.jobsInProcess ? 'in process' : 'worker processes' }, `GraphQL ready at http://localhost:${port}/graphql`);
});

let stopping = false;
/** Stop accepting connections, let in-flight requests and jobs finish (bounded), then close the database. */
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
  await services.close();
  await db.close();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
