import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalDriver } from '../../src/storage/local-driver.js';
import { S3Driver } from '../../src/storage/s3-driver.js';
import type { ListedObject, StorageDriver } from '../../src/storage/storage-driver.js';
import {
  StorageObjectNotFoundError,
  StorageRangeNotSatisfiableError,
  StorageSizeMismatchError,
  StorageUnavailableError,
} from '../../src/storage/storage-errors.js';
import { InvalidStorageKeyError, normalizeKey, type StorageKey } from '../../src/storage/storage-key.js';
import { createStorageRegistry, type StorageRegistry } from '../../src/storage/storage-registry.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';

const MiB = 1024 * 1024;

/** One backend under test: its driver, and how to cut it off and bring it back. */
type Target = {
  driver: StorageDriver;
  outage(): Promise<void>;
  recover(): Promise<void>;
  /** Every file or object name the backend holds (to prove nothing was left behind). */
  listAll(): Promise<string[]>;
  dispose(): Promise<void>;
};

async function listFiles(dir: string, base = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const rel = base ? `${base}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

async function localTarget(registry: StorageRegistry, dataDir: string, pathPrefix: string | null = null): Promise<Target> {
  const endpoint = pathPrefix ? 'buckets/local-prefixed' : 'buckets/local';
  const driver = registry.driverFor({
    uuid: randomUUID(),
    provider: 'local',
    endpoint,
    region: null,
    bucketName: null,
    accessKeyId: null,
    secretAccessKey: null,
    pathPrefix,
  });
  const root = (driver as LocalDriver).root;
  expect(root).toBe(join(dataDir, endpoint));
  return {
    driver,
    // the disk goes away: the root is replaced by a plain file
    async outage() {
      await rename(root, `${root}.away`);
      await writeFile(root, 'not a directory');
    },
    async recover() {
      await rm(root);
      await rename(`${root}.away`, root);
    },
    listAll: () => listFiles(root),
    dispose: async () => {},
  };
}

async function s3Target(registry: StorageRegistry, bucket: string): Promise<Target & { server: S3TestServer }> {
  const server = await startS3Server({ bucket });
  const driver = registry.driverFor(server.bucketRow({ pathPrefix: '/tenant-a/' }));
  return {
    server,
    driver,
    outage: () => server.stop(),
    recover: () => server.start(),
    // s3rver keeps each object as a directory holding `*._S3rver_object` and metadata files
    listAll: async () =>
      (await listFiles(join(server.directory, bucket)))
        .filter((name) => name.endsWith('._S3rver_object'))
        .map((name) => name.replace(/\/?\._S3rver_object$/, '')),
    dispose: () => server.close(),
  };
}

let dataDir: string;
let registry: StorageRegistry;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pk-storage-'));
  registry = createStorageRegistry({ dataDir });
});

afterAll(async () => {
  await registry.close();
  await rm(dataDir, { recursive: true, force: true });
});

const key = (...parts: string[]) => normalizeKey([randomUUID(), ...parts].join('/'));

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `data` as a stream of chunks of at most `size` bytes. */
const streamOf = (data: Buffer, size = 16 * 1024) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
    })(),
  );

/** A stream that sends `goodBytes` bytes, then fails like an aborted client upload. */
function failingStream(goodBytes: number, error = new Error('client aborted the upload')): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= goodBytes) {
        this.destroy(error);
        return;
      }
      const n = Math.min(64 * 1024, goodBytes - sent);
      sent += n;
      this.push(randomBytes(n));
    },
  });
}

/** `total` bytes of deterministic pseudo-random data generated on the fly, hashing as it goes. */
function generated(total: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  let counter = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(256 * 1024, total - sent);
      const chunk = createHash('sha512').update(String(counter++)).digest();
      const block = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i += chunk.length) chunk.copy(block, i, 0, Math.min(chunk.length, n - i));
      block.writeUInt32BE(counter, 0);
      hash.update(block);
      sent += n;
      this.push(block);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

const HOSTILE_KEYS = [
  '../escape.txt',
  '../../etc/passwd',
  'a/../../escape',
  '/etc/passwd',
  '%2e%2e/escape',
  'a\u0000b',
  '..\\..\\windows\\escape',
  'C:\\Windows\\escape',
  'a//b',
  'x'.repeat(2000),
  'cafe\u0301', // not NFC: someone skipped normalizeKey
] as unknown as StorageKey[];

const targets: Array<[string, (registry: StorageRegistry) => Promise<Target>]> = [
  ['local', (r) => localTarget(r, dataDir)],
  ['local (path prefix)', (r) => localTarget(r, dataDir, '/tenant-a/')],
  ['s3 (server A)', (r) => s3Target(r, 'bucket-a')],
  ['s3 (server B)', (r) => s3Target(r, 'bucket-b')],
];

describe.each(targets)('storage driver contract: %s', (_name, makeTarget) => {
  let target: Target;
  let driver: StorageDriver;

  beforeAll(async () => {
    target = await makeTarget(registry);
    driver = target.driver;
  });

  afterAll(async () => {
    await target?.dispose();
  });

  test('health check passes while the backend is up', async () => {
    expect(await driver.healthCheck()).toEqual({ ok: true });
  });

  test('put / get round trip: identical bytes, size reported, stat agrees', async () => {
    const data = randomBytes(300 * 1024 + 17);
    const k = key('round', 'trip.bin');
    const before = Date.now();
    expect(await driver.put(k, streamOf(data), { contentType: 'application/octet-stream' })).toEqual({ size: data.length });
    expect((await readAll(await driver.get(k))).equals(data)).toBe(true);
    const stat = await driver.stat(k);
    expect(stat?.size).toBe(data.length);
    expect(stat!.modifiedAt.getTime()).toBeGreaterThan(before - 5_000);
    expect(stat!.modifiedAt.getTime()).toBeLessThan(Date.now() + 5_000);
  });

  test('empty object round trip', async () => {
    const k = key('empty');
    expect(await driver.put(k, Readable.from([]), { contentType: 'text/plain', size: 0 })).toEqual({ size: 0 });
    expect((await readAll(await driver.get(k))).length).toBe(0);
    expect(await driver.stat(k)).toMatchObject({ size: 0 });
  });

  test('put replaces an existing object', async () => {
    const k = key('replace');
    await driver.put(k, streamOf(Buffer.from('first version, longer')), { contentType: 'text/plain' });
    await driver.put(k, streamOf(Buffer.from('second')), { contentType: 'text/plain' });
    expect((await readAll(await driver.get(k))).toString()).toBe('second');
  });

  test('a declared size that does not match stores nothing', async () => {
    const tooMany = key('size', 'more');
    const tooFew = key('size', 'less');
    await expect(driver.put(tooMany, streamOf(randomBytes(1000)), { contentType: 'x/y', size: 999 })).rejects.toBeInstanceOf(
      StorageSizeMismatchError,
    );
    await expect(driver.put(tooFew, streamOf(randomBytes(1000)), { contentType: 'x/y', size: 1001 })).rejects.toBeInstanceOf(
      StorageSizeMismatchError,
    );
    expect(await driver.stat(tooMany)).toBeNull();
    expect(await driver.stat(tooFew)).toBeNull();
    expect(await driver.put(key('size', 'exact'), streamOf(randomBytes(1000)), { contentType: 'x/y', size: 1000 })).toEqual({
      size: 1000,
    });
  });

  describe('range reads return exact bytes', () => {
    const data = randomBytes(100_000);
    const k = key('range.bin');
    beforeAll(async () => {
      await driver.put(k, streamOf(data), { contentType: 'application/octet-stream' });
    });

    test.each<[string, { start: number; end?: number }, [number, number]]>([
      ['first byte', { start: 0, end: 0 }, [0, 1]],
      ['last byte', { start: 99_999, end: 99_999 }, [99_999, 100_000]],
      ['last byte, open-ended', { start: 99_999 }, [99_999, 100_000]],
      ['middle', { start: 12_345, end: 54_321 }, [12_345, 54_322]],
      ['open-ended from the middle', { start: 50_000 }, [50_000, 100_000]],
      ['whole object as a range', { start: 0, end: 99_999 }, [0, 100_000]],
      ['end past the object is clamped', { start: 99_000, end: 1_000_000 }, [99_000, 100_000]],
    ])('%s', async (_name, range, [from, to]) => {
      expect((await readAll(await driver.get(k, range))).equals(data.subarray(from, to))).toBe(true);
    });

    test('a start at or past the end is not satisfiable', async () => {
      await expect(driver.get(k, { start: 100_000 })).rejects.toBeInstanceOf(StorageRangeNotSatisfiableError);
      await expect(driver.get(k, { start: 200_000, end: 300_000 })).rejects.toBeInstanceOf(StorageRangeNotSatisfiableError);
    });

    test.each([[{ start: -1 }], [{ start: 10, end: 5 }], [{ start: 1.5 }]])('malformed range %j is refused', async (range) => {
      await expect(driver.get(k, range)).rejects.toBeInstanceOf(RangeError);
    });

    test('an expected size that matches reads the bytes; another size is refused before any byte, ranged or not', async () => {
      expect((await readAll(await driver.get(k, undefined, 100_000))).equals(data)).toBe(true);
      expect((await readAll(await driver.get(k, { start: 10, end: 19 }, 100_000))).equals(data.subarray(10, 20))).toBe(true);
      for (const range of [undefined, { start: 10, end: 19 }, { start: 0 }]) {
        for (const expected of [100_001, 99_999]) {
          const refused = await driver.get(k, range, expected).then(
            () => null,
            (error: unknown) => error,
          );
          expect(refused).toBeInstanceOf(StorageSizeMismatchError);
          expect(refused).toMatchObject({ expected, actual: 100_000 });
        }
      }
    });
  });

  test('a missing object: stat is null, get is a typed not-found', async () => {
    const k = key('never', 'written');
    expect(await driver.stat(k)).toBeNull();
    await expect(driver.get(k)).rejects.toBeInstanceOf(StorageObjectNotFoundError);
    await expect(driver.get(k, { start: 0 })).rejects.toBeInstanceOf(StorageObjectNotFoundError);
  });

  test('move renames an object (replacing the target) and leaves no source behind', async () => {
    const from = key('move', 'tmp.bin');
    const to = key('move', 'final', 'blob.bin');
    const data = randomBytes(70_000);
    await driver.put(to, streamOf(Buffer.from('old content')), { contentType: 'application/octet-stream' });
    await driver.put(from, streamOf(data), { contentType: 'application/octet-stream' });
    await driver.move(from, to);
    expect(await driver.stat(from)).toBeNull();
    expect((await readAll(await driver.get(to))).equals(data)).toBe(true);
    await expect(driver.move(key('move', 'missing'), key('move', 'x'))).rejects.toBeInstanceOf(StorageObjectNotFoundError);
  });

  test('list yields every object under a prefix with its size, none outside it, keys as written', async () => {
    const root = randomUUID();
    const inside = { [`${root}/a.bin`]: 10, [`${root}/deep/er/b.bin`]: 2000, [`${root}/deep/c.bin`]: 0 };
    const outside = `${root}-sibling/d.bin`;
    const before = Date.now();
    for (const [k, size] of [...Object.entries(inside), [outside, 5] as const]) {
      await driver.put(normalizeKey(k), streamOf(randomBytes(size)), { contentType: 'application/octet-stream' });
    }
    const listed: ListedObject[] = [];
    for await (const object of driver.list(normalizeKey(root))) listed.push(object);
    expect(Object.fromEntries(listed.map((o) => [o.key, o.size]))).toEqual(inside);
    expect(listed).toHaveLength(3);
    for (const o of listed) expect(Math.abs(o.modifiedAt.getTime() - before)).toBeLessThan(60_000);

    const everything: string[] = [];
    for await (const object of driver.list(null)) everything.push(object.key);
    expect(everything).toEqual(expect.arrayContaining([...Object.keys(inside), outside]));
    expect(new Set(everything).size).toBe(everything.length);

    const none: ListedObject[] = [];
    for await (const object of driver.list(normalizeKey(randomUUID()))) none.push(object);
    expect(none).toEqual([]);
  });

  test('delete is idempotent', async () => {
    const k = key('delete-me');
    await driver.put(k, streamOf(Buffer.from('bye')), { contentType: 'text/plain' });
    await driver.delete(k);
    expect(await driver.stat(k)).toBeNull();
    await driver.delete(k);
    await driver.delete(key('never', 'existed'));
    await expect(driver.get(k)).rejects.toBeInstanceOf(StorageObjectNotFoundError);
  });

  test.each([
    ['small upload', 100 * 1024],
    ['multipart-sized upload (past one 8 MiB part)', 20 * MiB],
  ])('a stream that errors mid-upload (%s) leaves nothing behind', async (_name, goodBytes) => {
    const k = key('aborted.bin');
    const before = await target.listAll();
    const failure = new Error('client aborted the upload');
    await expect(driver.put(k, failingStream(goodBytes, failure), { contentType: 'application/octet-stream' })).rejects.toBe(
      failure,
    );
    expect(await driver.stat(k)).toBeNull();
    expect(await target.listAll()).toEqual(before);
  });

  test('a 64 MiB streamed put keeps memory bounded and stores every byte', async () => {
    const total = 64 * MiB;
    const k = key('large.bin');
    const source = generated(total);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    try {
      expect(await driver.put(k, source.stream, { contentType: 'application/octet-stream' })).toEqual({ size: total });
      peak = Math.max(peak, process.memoryUsage().rss);
    } finally {
      clearInterval(sampler);
    }
    expect(peak - baseline).toBeLessThan(64 * MiB);
    expect((await driver.stat(k))?.size).toBe(total);
    const readBack = createHash('sha256');
    for await (const chunk of await driver.get(k)) readBack.update(chunk as Buffer);
    expect(readBack.digest('hex')).toBe(source.sha256());
    await driver.delete(k);
  });

  test('unicode keys work', async () => {
    const k = key('ünïcødé', 'Отчёт 文件 🙂 +&=;,@!$~().bin');
    const data = Buffer.from('unicode key body');
    await driver.put(k, streamOf(data), { contentType: 'text/plain' });
    expect((await readAll(await driver.get(k))).equals(data)).toBe(true);
    expect((await readAll(await driver.get(k, { start: 8, end: 10 }))).toString()).toBe('key');
    expect(await driver.stat(k)).toMatchObject({ size: data.length });
    await driver.delete(k);
    expect(await driver.stat(k)).toBeNull();
  });

  test('hostile keys are refused before any I/O', async () => {
    const before = await target.listAll();
    for (const hostile of HOSTILE_KEYS) {
      const body = streamOf(Buffer.from('payload'));
      await expect(driver.put(hostile, body, { contentType: 'text/plain' })).rejects.toBeInstanceOf(InvalidStorageKeyError);
      expect(body.destroyed).toBe(true);
      await expect(driver.get(hostile)).rejects.toBeInstanceOf(InvalidStorageKeyError);
      await expect(driver.stat(hostile)).rejects.toBeInstanceOf(InvalidStorageKeyError);
      await expect(driver.delete(hostile)).rejects.toBeInstanceOf(InvalidStorageKeyError);
    }
    expect(await target.listAll()).toEqual(before);
    expect(existsSync(join(dataDir, 'buckets', 'escape.txt'))).toBe(false);
    expect(existsSync(join(dataDir, 'escape'))).toBe(false);
  });

  test('an outage surfaces as StorageUnavailableError and in the health check; recovery restores service', async () => {
    const k = key('survives.txt');
    await driver.put(k, streamOf(Buffer.from('still here')), { contentType: 'text/plain' });

    await target.outage();
    try {
      const health = await driver.healthCheck();
      expect(health.ok).toBe(false);
      expect(health.ok ? '' : health.reason).not.toBe('');
      await expect(driver.put(key('during'), streamOf(Buffer.from('x')), { contentType: 'text/plain' })).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      await expect(driver.get(k)).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(driver.get(key('missing'))).rejects.toBeInstanceOf(StorageUnavailableError); // not "not found"
      await expect(driver.stat(k)).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(driver.delete(k)).rejects.toBeInstanceOf(StorageUnavailableError);
      // key checks still come first: a hostile key is refused without trying the backend
      await expect(driver.stat(HOSTILE_KEYS[0]!)).rejects.toBeInstanceOf(InvalidStorageKeyError);
    } finally {
      await target.recover();
    }

    expect(await driver.healthCheck()).toEqual({ ok: true });
    expect((await readAll(await driver.get(k))).toString()).toBe('still here');
  });

  test('signed URLs (S3-compatible drivers only) serve the bytes with our Content-Disposition', async () => {
    if (!driver.signedUrl) {
      expect(driver.provider).toBe('local');
      return;
    }
    const k = key('signed.txt');
    await driver.put(k, streamOf(Buffer.from('signed body')), { contentType: 'text/plain' });
    const url = await driver.signedUrl(k, { expiresInSeconds: 60, disposition: 'attachment', fileName: 'Résumé.txt' });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('signed body');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="Resume.txt"; filename*=UTF-8''R%C3%A9sum%C3%A9.txt`,
    );
    await expect(driver.signedUrl(k, { expiresInSeconds: 0, disposition: 'inline', fileName: 'x' })).rejects.toBeInstanceOf(
      RangeError,
    );
  });
});

describe('storage registry', () => {
  test('the path prefix of an S3 bucket row is applied to every key', async () => {
    const server = await startS3Server({ bucket: 'prefixed' });
    try {
      const driver = registry.driverFor(server.bucketRow({ pathPrefix: 'site-1/media' }));
      await driver.put(normalizeKey('a/b.txt'), streamOf(Buffer.from('x')), { contentType: 'text/plain' });
      const files = await listFiles(join(server.directory, 'prefixed'));
      expect(files.some((f) => f.startsWith('site-1/media/a/b.txt'))).toBe(true);
    } finally {
      await server.close();
    }
  });

  test('the same row gives the same driver; a changed row a new one', () => {
    const row = {
      uuid: randomUUID(),
      provider: 'local',
      endpoint: '/tmp/pk-registry-test',
      region: null,
      bucketName: null,
      accessKeyId: null,
      secretAccessKey: null,
      pathPrefix: null,
    };
    const first = registry.driverFor(row);
    expect(registry.driverFor({ ...row })).toBe(first);
    const moved = registry.driverFor({ ...row, endpoint: '/tmp/pk-registry-test-2' });
    expect(moved).not.toBe(first);
    expect((moved as LocalDriver).root).toBe('/tmp/pk-registry-test-2');
  });
});

describe('local driver at the filesystem root', () => {
  test('lists keys whole (the root already ends in a separator)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pk-root-list-'));
    try {
      await writeFile(join(dir, 'obj'), 'x');
      const driver = new LocalDriver({ root: '/' });
      const prefix = normalizeKey(dir.slice(1));
      const keys: string[] = [];
      for await (const object of driver.list(prefix)) keys.push(object.key);
      expect(keys).toEqual([`${dir.slice(1)}/obj`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('an S3 endpoint that takes connections and never answers (a hung server, a stuck load balancer)', () => {
  let hung: Server;
  let port: number;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    hung = createServer((socket) => {
      sockets.add(socket); // accepted, read, never answered
      socket.on('error', () => undefined);
      socket.resume();
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    port = (hung.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => hung.close(resolve));
  });

  test('every operation ends with StorageUnavailableError once the connection has been idle for the timeout', async () => {
    const driver = new S3Driver({
      provider: 's3',
      bucket: 'hung',
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
      requestTimeoutMs: 500,
    });
    const k = key('hung.bin');
    const outcomes = await Promise.all([
      driver.stat(k),
      driver.get(k),
      driver.put(k, streamOf(randomBytes(64 * 1024)), { contentType: 'application/octet-stream' }),
      driver.delete(k),
    ].map((p) => p.then(() => 'answered', (error: unknown) => (error instanceof StorageUnavailableError ? 'unavailable' : String(error)))));
    expect(outcomes).toEqual(['unavailable', 'unavailable', 'unavailable', 'unavailable']);
  }, 20_000);
});

describe('S3 reads keep time only while they wait for the server', () => {
  let server: S3TestServer;
  let stalling: Server;
  let stallingPort: number;
  const sockets = new Set<Socket>();
  const driverFor = (endpoint: string, bucket: string) =>
    new S3Driver({
      provider: 's3',
      bucket,
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      maxAttempts: 1,
      requestTimeoutMs: 500,
    });

  beforeAll(async () => {
    server = await startS3Server({ bucket: 'slow-readers' });
    // answers any request with the headers of a 1 MiB object, sends 64 KiB of it, then nothing more
    stalling = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n');
        socket.write(Buffer.alloc(64 * 1024, 7));
      });
    });
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    stallingPort = (stalling.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => stalling.close(resolve));
    await server.close();
  });

  test('a reader that stops for three times the idle timeout still gets every byte', async () => {
    const driver = driverFor(server.endpoint, server.bucket);
    try {
      const data = randomBytes(8 * 1024 * 1024);
      const k = key('slow-reader.bin');
      await driver.put(k, Readable.from([data]), { contentType: 'application/octet-stream' });
      for (const range of [undefined, { start: 1000, end: data.length - 1000 }]) {
        const body = await driver.get(k, range);
        const chunks: Buffer[] = [];
        let paused = false;
        for await (const chunk of body) {
          chunks.push(chunk as Buffer);
          if (!paused) {
            paused = true; // the connection fills up and goes quiet meanwhile
            await new Promise((resolve) => setTimeout(resolve, 1_500));
          }
        }
        const expected = range ? data.subarray(range.start, range.end + 1) : data;
        expect(Buffer.concat(chunks).equals(expected)).toBe(true);
      }
    } finally {
      await driver.close();
    }
  });

  test('a server that stops sending in the middle of the body ends the read with StorageUnavailableError', async () => {
    const driver = driverFor(`http://127.0.0.1:${stallingPort}`, 'stalling');
    try {
      const body = await driver.get(key('stalls.bin'));
      let received = 0;
      const outcome = await (async () => {
        for await (const chunk of body) received += (chunk as Buffer).length;
        return 'ended';
      })().catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(StorageUnavailableError);
      expect(received).toBe(64 * 1024);
    } finally {
      await driver.close();
    }
  }, 20_000);
});
