import { rm } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp } from './accounts.js';
import type { Backend } from './backends.js';
import { startS3Server } from './s3.js';
import { tempDataDir } from './upload.js';

/** One request through the proxy: `path` is the URL's path without the query; `status` is set once answered. */
export type Exchange = { method: string; url: string; path: string; status: number | null; headers: Record<string, unknown>; at: number };

/**
 * An HTTP proxy in front of an S3 server (a bucket that hangs or is slow): requests `hold` picks are taken and left
 * unanswered until `release()` forwards them; `throttle` (bytes/s) slows request bodies. Logs every request.
 */
export async function holdingProxy(upstreamPort: number) {
  let holdIf: ((req: IncomingMessage) => boolean) | null = null;
  let bytesPerSecond = 0;
  const queue: Array<() => void> = [];
  const heldRequests = new Set<IncomingMessage>();
  const log: Exchange[] = [];
  const forward = (req: IncomingMessage, res: ServerResponse, entry: Exchange) => {
    const out = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      entry.status = answer.statusCode ?? null;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    if (bytesPerSecond > 0) {
      req.on('data', (chunk: Buffer) => {
        out.write(chunk);
        req.pause();
        setTimeout(() => req.resume(), Math.ceil((chunk.length / bytesPerSecond) * 1000));
      });
      req.on('end', () => out.end());
    } else {
      req.pipe(out);
    }
  };
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const entry: Exchange = { method: req.method ?? '', url, path: new URL(url, 'http://proxy').pathname, status: null, headers: req.headers, at: Date.now() };
    log.push(entry);
    if (holdIf && holdIf(req)) {
      heldRequests.add(req);
      queue.push(() => {
        heldRequests.delete(req);
        forward(req, res, entry);
      });
      return;
    }
    forward(req, res, entry);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    hold(predicate: (req: IncomingMessage) => boolean = () => true) {
      holdIf = predicate;
    },
    held: () => queue.length,
    /** Held requests whose client is still waiting (not gone, e.g. after its own timeout). */
    waiting: () => [...heldRequests].filter((req) => !req.socket.destroyed).length,
    throttle(bps: number) {
      bytesPerSecond = bps;
    },
    release() {
      holdIf = null;
      for (const go of queue.splice(0)) go();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}


/**
 * A test app with an S3 server behind a holding proxy: `slowBucket` creates a bucket reached through the proxy.
 * `env` is added to the app's (a data folder of its own is made, and removed by `close`).
 */
export async function openBehindProxy(open: () => Promise<Backend>, bucket: string, env: Record<string, string> = {}) {
  const backend = await open();
  const dataDir = tempDataDir();
  const app = createTestApp(backend, { env: { DATA_DIR: dataDir, ...env } });
  const s3 = await startS3Server({ bucket });
  const proxy = await holdingProxy(s3.port);
  return {
    backend,
    db: backend.database.prisma,
    app,
    dataDir,
    s3,
    proxy,
    slowBucket: async (name: string) => (await app.services.buckets.create({ name, ...s3.connection(), endpoint: proxy.endpoint })).uuid,
    async close() {
      proxy.release();
      await backend.close();
      await proxy.close();
      await s3.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
