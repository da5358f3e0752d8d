import { createServer, type ServerResponse } from 'node:http';
import { createApp, nodeHandler } from './app.js';
import { jobDefinitions as jobDefinitionsFor } from './jobs/jobs.js';
import { openRuntime } from './runtime.js';

const IDLE_CONNECTION_MS = 10 * 60_000;

const { config, log, db, services, queue } = await openRuntime();
await queue.start();
await queue.register(jobDefinitionsFor(services), config.jobsInProcess);

const app = createApp({ db, log, config, services });
const handle = nodeHandler(app);
let stopping = false;
/** Responses not yet finished: told to close their connection once shutdown begins. */
const unfinished = new Set<ServerResponse>();
const server = createServer((req, res) => {
  unfinished.add(res);
  res.on('close', () => {
    unfinished.delete(res);
    // its connection is idle now: closed at once rather than after the keep-alive timeout
    if (stopping) setImmediate(() => server.closeIdleConnections());
  });
  if (stopping) res.setHeader('connection', 'close');
  handle(req, res);
});
// an upload takes as long as its bytes take to arrive (Node cuts a request not received within 5 minutes by default);
// a connection where nothing moves either way for 10 minutes is closed
server.requestTimeout = 0;
server.timeout = IDLE_CONNECTION_MS;
server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ port, jobs: config.jobsInProcess ? 'in process' : 'worker processes' }, `GraphQL ready at http://localhost:${port}/graphql`);
});

/** Stop accepting connections, let in-flight requests and jobs finish (bounded), then close the database. */
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  // answers still to come end their connection (a keep-alive client would otherwise send its next request here)
  for (const res of unfinished) if (!res.headersSent) res.setHeader('connection', 'close');
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
