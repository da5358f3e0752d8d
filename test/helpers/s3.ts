import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real S3-compatible server (s3rver) on loopback for tests, in a child process of its own: its memory does not
 * count against the test's, and `stop()` kills it like a crash, so a test can cut a bucket off mid-way and bring
 * it back with `start()` on the same port and directory (objects written before the outage are still there).
 */
export type S3TestServer = Readonly<{
  /** `http://127.0.0.1:<port>`; path-style addressing. */
  endpoint: string;
  port: number;
  /** Where s3rver keeps the objects (removed by `close()`). */
  directory: string;
  bucket: string;
  region: string;
  credentials: Readonly<{ accessKeyId: string; secretAccessKey: string }>;
  isRunning(): boolean;
  /** Kills the server (SIGKILL): requests now fail to connect. The port and the data are kept. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory. */
  start(): Promise<void>;
  /** Stops it for good and deletes its directory. */
  close(): Promise<void>;
  /** The fields of a `phoenix_kit_buckets` row pointing at this server (for the storage registry). */
  bucketRow(overrides?: Partial<S3BucketRow>): S3BucketRow;
  /** The connection fields of a `createBucket` input pointing at this server. */
  connection(): Omit<S3BucketRow, 'uuid' | 'pathPrefix'> & { provider: 's3' };
}>;

export type S3BucketRow = {
  uuid: string;
  provider: 's3' | 'b2' | 'r2';
  endpoint: string;
  region: string;
  bucketName: string;
  accessKeyId: string;
  secretAccessKey: string;
  pathPrefix: string | null;
};

const require = createRequire(import.meta.url);
const S3RVER_MODULE = require.resolve('s3rver');

// s3rver's built-in account
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

// runs in the child: start s3rver, report the bound port over IPC, die with the parent
const CHILD_SCRIPT = `
const S3rver = require(process.env.S3RVER_MODULE);
process.on('disconnect', () => process.exit(0));
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(process.env.S3RVER_PORT),
  directory: process.env.S3RVER_DIR,
  silent: true,
  vhostBuckets: false,
  configureBuckets: [{ name: process.env.S3RVER_BUCKET }],
});
server.run().then(
  (address) => process.send({ port: address.port }),
  (error) => { process.send({ error: String(error && error.code || error) }); process.exit(1); },
);
`;

type Started = { child: ChildProcess; port: number };

function launch(directory: string, bucket: string, port: number): Promise<Started> {
  const child = spawn(process.execPath, ['-e', CHILD_SCRIPT], {
    env: {
      PATH: process.env.PATH ?? '',
      S3RVER_MODULE,
      S3RVER_DIR: directory,
      S3RVER_BUCKET: bucket,
      S3RVER_PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<Started>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`s3rver did not start in time\n${stderr}`));
    }, 20_000);
    child.once('message', (message: { port?: number; error?: string }) => {
      clearTimeout(timer);
      if (message.port) resolve({ child, port: message.port });
      else reject(new Error(`s3rver failed to start: ${message.error}\n${stderr}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code}\n${stderr}`));
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts an s3rver on a random free loopback port with an empty temp directory and one bucket. */
export async function startS3Server(options: { bucket?: string } = {}): Promise<S3TestServer> {
  const bucket = options.bucket ?? 'test-bucket';
  if (bucket.length < 3) throw new Error('s3rver needs bucket names of at least 3 characters');
  const directory = await mkdtemp(join(tmpdir(), 'pk-s3rver-'));
  let current: Started | null = await launch(directory, bucket, 0);
  running.add(current.child);
  const port = current.port;

  const stop = async () => {
    if (!current) return;
    const { child } = current;
    current = null;
    await kill(child);
    running.delete(child);
  };

  const start = async () => {
    if (current) return;
    // the old listener is gone with its process; retry briefly in case the kernel has not released the port yet
    for (let attempt = 0; ; attempt++) {
      try {
        current = await launch(directory, bucket, port);
        running.add(current.child);
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const connection = {
    provider: 's3' as const,
    endpoint,
    region: 'us-east-1',
    bucketName: bucket,
    accessKeyId: CREDENTIALS.accessKeyId,
    secretAccessKey: CREDENTIALS.secretAccessKey,
  };
  return {
    endpoint,
    port,
    directory,
    bucket,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    isRunning: () => current !== null,
    stop,
    start,
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
    bucketRow: (overrides = {}) => ({ uuid: crypto.randomUUID(), ...connection, pathPrefix: null, ...overrides }),
    connection: () => ({ ...connection }),
  };
}
