import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import type { ExecutionResult } from 'graphql';
import type { FilesUploadUploadMutation } from '../gql/graphql.js';
import { graphql } from '../gql/index.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import {
  bytesOf,
  captureUncaught,
  eventually,
  generatedBytes,
  httpGet,
  listTree,
  multipartBuffer,
  multipartFrame,
  pathOf,
  PNG_1X1,
  postRawBody,
  postStreamedUpload,
  sha256,
  startHttpServer,
  tempDataDir,
  uploadOperations,
  uploadRaw,
  uploadVia,
  type NameEncoding,
  type TestHttpServer,
} from '../helpers/upload.js';

const MiB = 1024 * 1024;

const UploadDocument = graphql(`
  mutation FilesUploadUpload($input: UploadFileInput!) {
    uploadFile(input: $input) {
      __typename
      ... on MutationUploadFileSuccess {
        data {
          duplicate
          file {
            uuid
            originalFileName
            fileName
            mimeType
            fileType
            ext
            size
            fileChecksum
            userFileChecksum
            status
            url
            copies
            underReplicated
            user { uuid }
            instances { variantName checksum size mimeType processingStatus locations { path status bucket { uuid } } }
          }
        }
      }
      ... on FileTooLargeError { maxBytes }
      ... on Error { message code }
    }
  }
`);

type UploadResult = ExecutionResult<FilesUploadUploadMutation>;
type UploadedFile = Extract<
  NonNullable<UploadResult['data']>['uploadFile'],
  { __typename: 'MutationUploadFileSuccess' }
>['data'];

/** The success payload, or a failed expectation naming what came back instead. */
function uploaded(result: UploadResult): UploadedFile {
  const payload = result.data?.uploadFile;
  expect(payload?.__typename, JSON.stringify(result)).toBe('MutationUploadFileSuccess');
  if (payload?.__typename !== 'MutationUploadFileSuccess') throw new Error('unreachable');
  return payload.data;
}

const blobPath = (sha: string) => `blobs/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}`;
const BLOB = /^blobs\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}$/;

async function rowCounts(db: Db) {
  const [files, instances, locations] = await Promise.all([db.file.count(), db.fileInstance.count(), db.fileLocation.count()]);
  return { files, instances, locations };
}

async function fetchBytes(app: App, url: string, headers: Record<string, string> = {}) {
  const response = await app.fetch(`http://localhost${pathOf(url)}`, { headers });
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

/** Waits (up to 5 s) for `read` to return `expected` (cleanup after a failed upload may finish after the answer). */
async function settlesTo<T>(read: () => Promise<T>, expected: T): Promise<T> {
  await eventually(async () => JSON.stringify(await read()) === JSON.stringify(expected), 5_000);
  return read();
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe.each(backends)('file uploads on %s', (backendName, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let bucketRoot: string;
  let alice: TestUser;
  let bob: TestUser;

  /** Every object in the default local bucket. */
  const objects = () => listTree(bucketRoot);
  const upload = (user: TestUser | null, file: { name: string; type?: string; data: Uint8Array }) =>
    uploadVia(app, UploadDocument, file, { headers: user?.headers ?? {} });

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    bucketRoot = join(dataDir, 'priv/media');
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    await signUp(app); // the Owner
    alice = await signUp(app);
    bob = await signUp(app);
  });

  afterAll(async () => {
    await backend.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  afterEach(async () => {
    // whatever a test did, no temporary object may stay behind, and every object has a location row
    const all = await objects();
    expect(all.filter((p) => !BLOB.test(p))).toEqual([]);
    const paths = new Set((await db.fileLocation.findMany({ select: { path: true } })).map((l) => l.path));
    expect(all.filter((p) => !paths.has(p))).toEqual([]);
  });

  test('stores the exact bytes: SHA-256 and size computed while streaming, read back identical through the URL', async () => {
    const data = randomBytes(777_777);
    const file = uploaded(await upload(alice, { name: 'data.bin', type: 'application/octet-stream', data })).file;
    const sha = sha256(data);
    expect(file).toMatchObject({
      originalFileName: 'data.bin',
      size: data.length,
      fileChecksum: sha,
      status: 'active',
      user: { uuid: alice.uuid },
      copies: 1,
      underReplicated: false,
    });
    expect(file.userFileChecksum).toBe(createHash('sha256').update(`${alice.uuid}${sha}`).digest('hex'));
    expect(file.instances).toEqual([
      {
        variantName: 'original',
        checksum: sha,
        size: data.length,
        mimeType: file.mimeType,
        processingStatus: 'completed',
        locations: [{ path: blobPath(sha), status: 'active', bucket: { uuid: expect.any(String) } }],
      },
    ]);
    const { response, body } = await fetchBytes(app, file.url);
    expect(response.status).toBe(200);
    expect(body.equals(data)).toBe(true);
    // the object on disk is the content-addressed blob, byte for byte
    expect((await readFile(join(bucketRoot, blobPath(sha)))).equals(data)).toBe(true);
  });

  test.each([
    ['one buffered body with its Content-Length', 'raw'],
    ['a FormData body', 'form'],
  ])('the exact bytes arrive whatever the body is cut into (%s)', async (_label, how) => {
    const data = randomBytes(300_000 + (how === 'raw' ? 1 : 2));
    const part = { name: `whole-${how}.bin`, type: 'application/octet-stream', data };
    const result = how === 'raw' ? await uploadRaw(app, UploadDocument, part, { headers: alice.headers }) : await upload(alice, part);
    const file = uploaded(result).file;
    expect([file.size, file.fileChecksum]).toEqual([data.length, sha256(data)]);
    expect((await fetchBytes(app, file.url)).body.equals(data)).toBe(true);
  });

  test('an empty file is stored and served (0 bytes, SHA-256 of nothing)', async () => {
    const file = uploaded(await upload(alice, { name: 'empty.dat', data: new Uint8Array(0) })).file;
    expect(file).toMatchObject({ size: 0, fileChecksum: sha256(new Uint8Array(0)), copies: 1 });
    const { response, body } = await fetchBytes(app, file.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('0');
    expect(body.length).toBe(0);
  });

  describe('content type comes from the bytes, not the client', () => {
    test('a PNG named .txt and claimed as text/html is image/png', async () => {
      const file = uploaded(await upload(alice, { name: 'notes.txt', type: 'text/html', data: PNG_1X1 })).file;
      expect(file).toMatchObject({ mimeType: 'image/png', ext: 'png', fileType: 'image', originalFileName: 'notes.txt' });
      expect(file.fileName).toBe(`${sha256(PNG_1X1)}.png`);
      const { response } = await fetchBytes(app, file.url);
      expect(response.headers.get('content-type')).toBe('image/png');
    });

    test('a PDF named .png and claimed as image/png is application/pdf', async () => {
      const pdf = Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n${randomUUID()}`);
      const file = uploaded(await upload(alice, { name: 'photo.png', type: 'image/png', data: pdf })).file;
      expect(file).toMatchObject({ mimeType: 'application/pdf', ext: 'pdf', fileType: 'document' });
    });

    test.each([
      ['page.html', 'text/html', `<!doctype html><html><script>alert(document.cookie)</script></html>`],
      ['drawing.svg', 'image/svg+xml', `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`],
      ['feed.xml', 'application/xhtml+xml', `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>`],
      ['noext', 'text/html', `<html><body onload="alert(1)"></body></html>`],
    ])('markup named %s and claimed as %s is never stored or served as an active type', async (name, claim, text) => {
      const data = Buffer.from(`${text}<!-- ${randomUUID()} -->`);
      const file = uploaded(await upload(alice, { name, type: claim, data })).file;
      expect(file.mimeType).not.toMatch(/html|svg|xml|javascript/i);
      const { response, body } = await fetchBytes(app, file.url);
      expect(response.status).toBe(200);
      expect(body.equals(data)).toBe(true);
      const served = response.headers.get('content-type') ?? '';
      expect(served).not.toMatch(/html|svg|xml|javascript/i);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toContain('sandbox');
    });

    test.each([
      ['photo.png', 'image/png'],
      ['song.mp3', 'audio/mpeg'],
      ['notes.txt', 'text/plain'],
    ])('bytes no magic number recognises, named %s and claimed as %s, are opaque bytes of type other', async (name, claim) => {
      const data = Buffer.concat([Buffer.from([0, 0xff, 0x13, 0x37]), randomBytes(2048)]);
      const file = uploaded(await upload(alice, { name, type: claim, data })).file;
      expect(file).toMatchObject({ mimeType: 'application/octet-stream', ext: 'bin', fileType: 'other', status: 'active' });
      expect(file.fileName).toBe(`${sha256(data)}.bin`);
      const { response } = await fetchBytes(app, file.url);
      expect(response.headers.get('content-type')).toBe('application/octet-stream');
    });

    test('plain text named .txt but claimed as text/html is text/plain', async () => {
      const data = Buffer.from(`just some words ${randomUUID()}\n`);
      const file = uploaded(await upload(alice, { name: 'readme.txt', type: 'text/html', data })).file;
      expect(file).toMatchObject({ mimeType: 'text/plain', fileType: 'document', ext: 'txt' });
      const { response } = await fetchBytes(app, file.url);
      expect(response.headers.get('content-type')).toBe('text/plain');
    });
  });

  describe('size limit (setting storage_max_upload_size_mb)', () => {
    afterEach(async () => {
      await app.services.settings.update({ key: 'storage_max_upload_size_mb', value: '500' });
    });

    test('exactly the limit is stored; one byte more is a FileTooLargeError that leaves no row and no bytes', async () => {
      await app.services.settings.update({ key: 'storage_max_upload_size_mb', value: '1' });
      const atLimit = bytesOf(MiB, `limit-${backendName}`);
      expect(uploaded(await upload(alice, { name: 'at-limit.bin', data: atLimit })).file.size).toBe(MiB);

      const rowsBefore = await rowCounts(db);
      const objectsBefore = await objects();
      const uncaught = captureUncaught();
      try {
        const tooBig = bytesOf(MiB + 1, `over-${backendName}`);
        const result = await upload(alice, { name: 'too-big.bin', data: tooBig });
        expect(result.errors).toBeUndefined();
        expect(result.data?.uploadFile).toEqual({
          __typename: 'FileTooLargeError',
          maxBytes: MiB,
          code: 'FILE_TOO_LARGE',
          message: expect.stringContaining('1 MiB'),
        });
        expect(await rowCounts(db)).toEqual(rowsBefore);
        expect(await db.file.count({ where: { fileChecksum: sha256(tooBig) } })).toBe(0);
        expect(await settlesTo(objects, objectsBefore)).toEqual(objectsBefore);
        await new Promise((r) => setTimeout(r, 100));
        // an over-limit upload must not raise an error nobody handles (in a server process: a crash)
        expect(uncaught.messages()).toEqual([]);
      } finally {
        uncaught.dispose();
      }
    });

    test.each([
      ['with Content-Length', true],
      ['chunked', false],
    ])('an over-limit body streamed over a real socket (%s) gets the typed error, and nothing is stored', async (_label, withLength) => {
      await app.services.settings.update({ key: 'storage_max_upload_size_mb', value: '1' });
      const server = await startHttpServer(app);
      const uncaught = captureUncaught();
      try {
        const rowsBefore = await rowCounts(db);
        const objectsBefore = await objects();
        const body = generatedBytes(24 * MiB, `socket-over-${backendName}-${withLength}`);
        const response = await postStreamedUpload(
          server.origin,
          UploadDocument,
          { name: 'huge.bin', chunks: body.chunks(), size: withLength ? 24 * MiB : undefined },
          alice.headers,
        );
        expect(server.clientErrors).toEqual([]);
        expect(response.status).toBe(200);
        expect(JSON.parse(response.body.toString()).data.uploadFile).toMatchObject({
          __typename: 'FileTooLargeError',
          maxBytes: MiB,
        });
        expect(await rowCounts(db)).toEqual(rowsBefore);
        expect(await settlesTo(objects, objectsBefore)).toEqual(objectsBefore);
        expect(uncaught.messages()).toEqual([]);
      } finally {
        uncaught.dispose();
        await server.close();
      }
    });
  });

  test('a 200 MiB upload through the real HTTP server keeps memory bounded (RSS growth < 64 MiB) and stores every byte', async () => {
    const server = await startHttpServer(app);
    const total = 200 * MiB;
    const source = generatedBytes(total, `big-${backendName}`);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    let response;
    try {
      response = await postStreamedUpload(
        server.origin,
        UploadDocument,
        { name: 'big.bin', type: 'application/octet-stream', chunks: source.chunks(), size: total },
        alice.headers,
      );
      peak = Math.max(peak, process.memoryUsage().rss);
    } finally {
      clearInterval(sampler);
      await server.close();
    }
    expect(response.status).toBe(200);
    const payload = JSON.parse(response.body.toString()).data.uploadFile;
    expect(payload.__typename).toBe('MutationUploadFileSuccess');
    expect(payload.data.file).toMatchObject({ size: total, fileChecksum: source.sha256() });
    expect(peak - baseline, `RSS grew by ${((peak - baseline) / MiB).toFixed(1)} MiB`).toBeLessThan(64 * MiB);
    expect(await sha256OfFile(join(bucketRoot, blobPath(source.sha256())))).toBe(source.sha256());
    await app.services.files.remove(null, payload.data.file.uuid); // frees the disk; its bytes go too
    expect(existsSync(join(bucketRoot, blobPath(source.sha256())))).toBe(false);
  });

  test('the multipart media type is read in any case (the boundary as sent), in process and over a socket', async () => {
    const upper = (contentType: string) => contentType.replace('multipart/form-data', 'Multipart/Form-Data');
    const data = randomBytes(3000);
    const { body, headers } = multipartBuffer(UploadDocument, { name: 'any case.bin', data });
    const inProcess = await app.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { ...alice.headers, accept: 'application/json', ...headers, 'content-type': upper(headers['content-type']) },
      body,
    });
    expect(inProcess.status).toBe(200);
    expect(uploaded((await inProcess.json()) as UploadResult).file).toMatchObject({ size: data.length, fileChecksum: sha256(data) });

    const server = await startHttpServer(app);
    try {
      const other = multipartBuffer(UploadDocument, { name: 'any case 2.bin', data: randomBytes(3000) });
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest(`${server.origin}/graphql`, {
          method: 'POST',
          headers: { ...alice.headers, accept: 'application/json', ...other.headers, 'content-type': upper(other.headers['content-type']) },
        });
        req.on('error', reject);
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.end(other.body);
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text).data.uploadFile.__typename).toBe('MutationUploadFileSuccess');
    } finally {
      await server.close();
    }
  });

  test('part headers the parser cannot read (control characters in a file name, a line without a colon) are refused and store nothing; the process lives on', async () => {
    const hostile: Array<[string, (head: string) => string]> = [
      ['\\x01 in a file name', (head) => head.replace('filename="hostile.bin"', 'filename="ctl\x01name.bin"')],
      ['\\x7f in a file name', (head) => head.replace('filename="hostile.bin"', 'filename="del\x7fname.bin"')],
      ['a header line without a colon', (head) => head.replace(/Content-Type: application\/octet-stream/, 'no colon here')],
    ];
    const uncaught = captureUncaught();
    const server = await startHttpServer(app);
    try {
      const rowsBefore = await rowCounts(db);
      const objectsBefore = await objects();
      for (const [label, damage] of hostile) {
        const frame = multipartFrame(uploadOperations(UploadDocument), { name: 'hostile.bin' });
        const head = Buffer.from(damage(frame.head.toString('latin1')), 'latin1');
        expect(head.equals(frame.head), label).toBe(false);
        const body = Buffer.concat([head, Buffer.from(`hostile ${randomUUID()}`), frame.tail]);
        const headers = { ...alice.headers, accept: 'application/json', 'content-type': frame.contentType };
        const reply = await postRawBody(server.origin, body, headers);
        const overSocket = { status: reply.status, text: reply.body.toString() };
        // the parser fails on the file part, after operations and map were read: the upload is refused, typed
        const refused = {
          __typename: 'InvalidUploadError',
          code: 'INVALID_UPLOAD',
          message: 'The request carries no readable file part for input.file: Malformed part header',
        };
        expect(overSocket.status, `${label}: ${overSocket.text}`).toBe(200);
        expect(JSON.parse(overSocket.text).data.uploadFile, label).toEqual(refused);
        const inProcess = await app.fetch('http://localhost/graphql', { method: 'POST', headers, body });
        expect(((await inProcess.json()) as UploadResult).data?.uploadFile, label).toEqual(refused);
        // a moment for a late parser error to surface
        await new Promise((r) => setTimeout(r, 50));
        expect(uncaught.messages(), label).toEqual([]);
      }
      expect(await rowCounts(db)).toEqual(rowsBefore);
      expect(await objects()).toEqual(objectsBefore);
      const after = await postStreamedUpload(
        server.origin,
        UploadDocument,
        { name: 'after hostile.bin', chunks: [Buffer.from(`after hostile ${randomUUID()}`)] },
        alice.headers,
      );
      expect(JSON.parse(after.body.toString()).data.uploadFile.__typename).toBe('MutationUploadFileSuccess');
    } finally {
      await server.close();
      uncaught.dispose();
    }
  });

  test('a map path through inherited properties (variables.toString.call) is refused and reaches nothing outside the request', async () => {
    const rowsBefore = await rowCounts(db);
    const server = await startHttpServer(app);
    try {
      const maps = [
        ['variables.toString.call'],
        ['variables.hasOwnProperty.call'],
        ['variables.input.constructor.name'],
        // own keys all the way in the operations as sent, but through the Upload the first path puts there
        ['variables.input', 'variables.input.toString.call'],
        ['variables.list.length'], // a slot that takes no value
      ];
      for (const paths of maps) {
        const path = paths.at(-1)!;
        const operations = uploadOperations(UploadDocument, { input: { toString: {} }, list: [] });
        const frame = multipartFrame(operations, { name: 'proto.bin' });
        const head = Buffer.from(frame.head.toString('latin1').replace(JSON.stringify({ 0: ['variables.input.file'] }), JSON.stringify({ 0: paths })), 'latin1');
        expect(head.equals(frame.head), path).toBe(false);
        const body = Buffer.concat([head, Buffer.from(`proto ${randomUUID()}`), frame.tail]);
        const headers = { ...alice.headers, accept: 'application/json', 'content-type': frame.contentType };
        const inProcess = await app.fetch('http://localhost/graphql', { method: 'POST', headers, body });
        expect(inProcess.status, path).toBe(400);
        expect(((await inProcess.json()) as { errors: Array<{ message: string }> }).errors[0]?.message, path).toBe(
          `Malformed multipart request: The map path "${path}" is not in the operations`,
        );
        const overSocket = await postRawBody(server.origin, body, headers);
        expect(overSocket.status, path).toBe(400);
      }
      // nothing was written onto the built-in prototypes this process (and the server) shares
      expect(typeof Object.prototype.toString.call).toBe('function');
      expect(typeof Object.prototype.hasOwnProperty.call).toBe('function');
      expect(await rowCounts(db)).toEqual(rowsBefore);
      const after = await postStreamedUpload(
        server.origin,
        UploadDocument,
        { name: 'after proto.bin', chunks: [Buffer.from(`after proto ${randomUUID()}`)] },
        alice.headers,
      );
      expect(JSON.parse(after.body.toString()).data.uploadFile.__typename).toBe('MutationUploadFileSuccess');
    } finally {
      await server.close();
    }
  });

  test('a client that disconnects mid-upload (socket destroyed) leaves no row and no bytes', async () => {
    const server = await startHttpServer(app);
    try {
      const rowsBefore = await rowCounts(db);
      const objectsBefore = await objects();
      const frame = multipartFrame(uploadOperations(UploadDocument), { name: 'aborted.bin' });
      const declared = frame.head.length + 64 * MiB + frame.tail.length;
      const req = httpRequest(`${server.origin}/graphql`, {
        method: 'POST',
        headers: { ...alice.headers, accept: 'application/json', 'content-type': frame.contentType, 'content-length': String(declared) },
      });
      const failed = new Promise<void>((resolve) => req.on('error', () => resolve()));
      req.on('response', () => undefined);
      req.write(frame.head);
      const source = generatedBytes(8 * MiB, `abort-${backendName}`);
      for (const chunk of source.chunks()) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      // bytes have reached the bucket (a temporary object is being written) before the client goes away
      expect(await eventually(async () => (await objects()).some((p) => p.startsWith('tmp/')), 10_000)).toBe(true);
      req.destroy();
      await failed;
      const settled = await eventually(
        async () => JSON.stringify(await objects()) === JSON.stringify(objectsBefore),
        10_000,
      );
      expect(settled, `left behind: ${(await objects()).filter((p) => !objectsBefore.includes(p)).join(', ')}`).toBe(true);
      expect(await rowCounts(db)).toEqual(rowsBefore);
      await new Promise((r) => setTimeout(r, 300)); // nothing appears later either
      expect(await objects()).toEqual(objectsBefore);
      expect(await rowCounts(db)).toEqual(rowsBefore);
      // the server is still fine
      const after = await postStreamedUpload(
        server.origin,
        UploadDocument,
        { name: 'after.bin', chunks: [Buffer.from(`after abort ${randomUUID()}`)] },
        alice.headers,
      );
      expect(JSON.parse(after.body.toString()).data.uploadFile.__typename).toBe('MutationUploadFileSuccess');
    } finally {
      await server.close();
    }
  });

  test('anonymous uploads are refused and store nothing', async () => {
    const rowsBefore = await rowCounts(db);
    const objectsBefore = await objects();
    const result = await upload(null, { name: 'anon.txt', data: Buffer.from(`anonymous ${randomUUID()}`) });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await rowCounts(db)).toEqual(rowsBefore);
    expect(await objects()).toEqual(objectsBefore);
  });

  test('with no enabled bucket the upload is a BucketUnavailableError and stores nothing', async () => {
    const buckets = await db.bucket.findMany({ where: { enabled: true } });
    for (const b of buckets) await app.services.buckets.update(b.uuid, { enabled: false });
    try {
      const rowsBefore = await rowCounts(db);
      const objectsBefore = await objects();
      const result = await upload(alice, { name: 'nowhere.txt', data: Buffer.from(`nowhere ${randomUUID()}`) });
      expect(result.data?.uploadFile).toMatchObject({ __typename: 'BucketUnavailableError', code: 'BUCKET_UNAVAILABLE' });
      expect(await rowCounts(db)).toEqual(rowsBefore);
      expect(await objects()).toEqual(objectsBefore);
    } finally {
      for (const b of buckets) await app.services.buckets.update(b.uuid, { enabled: true });
    }
  });

  test.each([
    ['a request whose part 0 carries no file name (busboy reads it as a plain field)', 'nameless-part'],
    ['a request without the file part', 'no-part'],
  ])('%s is an InvalidUploadError and stores nothing', async (_label, kind) => {
    const rowsBefore = await rowCounts(db);
    const objectsBefore = await objects();
    const operations = uploadOperations(UploadDocument);
    const boundary = `----pk-${randomUUID()}`;
    const parts = [
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.input.file"]}\r\n`,
      kind === 'nameless-part'
        ? `--${boundary}\r\nContent-Disposition: form-data; name="0"\r\nContent-Type: text/plain\r\n\r\nnot a file\r\n`
        : '',
      `--${boundary}--\r\n`,
    ];
    const response = await app.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { ...alice.headers, accept: 'application/json', 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: parts.join(''),
    });
    const result = (await response.json()) as UploadResult;
    expect(result.errors).toBeUndefined();
    expect(result.data?.uploadFile).toMatchObject({ __typename: 'InvalidUploadError', code: 'INVALID_UPLOAD' });
    expect(await rowCounts(db)).toEqual(rowsBefore);
    expect(await objects()).toEqual(objectsBefore);
  });

  describe('deduplication', () => {
    test('same user, same bytes: duplicate, the same file, nothing new stored', async () => {
      const data = randomBytes(50_000);
      const first = uploaded(await upload(alice, { name: 'one.bin', data }));
      expect(first.duplicate).toBe(false);
      const rowsBefore = await rowCounts(db);
      const objectsBefore = await objects();
      const again = uploaded(await upload(alice, { name: 'renamed copy.bin', type: 'text/plain', data }));
      expect(again.duplicate).toBe(true);
      expect(again.file.uuid).toBe(first.file.uuid);
      expect(again.file.originalFileName).toBe('one.bin');
      expect(await rowCounts(db)).toEqual(rowsBefore);
      expect(await objects()).toEqual(objectsBefore);
    });

    test("another user, same bytes: that user's own row, pointing at the already stored object", async () => {
      const data = randomBytes(60_000);
      const mine = uploaded(await upload(alice, { name: 'shared.bin', data })).file;
      const objectsBefore = await objects();
      const result = uploaded(await upload(bob, { name: 'bobs.bin', data }));
      expect(result.duplicate).toBe(false);
      const theirs = result.file;
      expect(theirs.uuid).not.toBe(mine.uuid);
      expect(theirs).toMatchObject({ user: { uuid: bob.uuid }, fileChecksum: mine.fileChecksum, originalFileName: 'bobs.bin' });
      expect(theirs.userFileChecksum).not.toBe(mine.userFileChecksum);
      expect(theirs.instances[0]?.locations).toEqual(mine.instances[0]?.locations);
      expect(await objects()).toEqual(objectsBefore); // no second object
      const { body } = await fetchBytes(app, theirs.url);
      expect(body.equals(data)).toBe(true);
    });

    test('50 simultaneous uploads of the same bytes by one user: one row, one stored copy, every answer names it', async () => {
      const data = randomBytes(200_000);
      const sha = sha256(data);
      const objectsBefore = await objects();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => upload(alice, { name: `race-${i}.bin`, data })),
      );
      const payloads = results.map(uploaded);
      expect(new Set(payloads.map((p) => p.file.uuid)).size).toBe(1);
      expect(payloads.filter((p) => !p.duplicate)).toHaveLength(1);
      expect(await db.file.count({ where: { fileChecksum: sha } })).toBe(1);
      expect(await db.fileLocation.count({ where: { path: blobPath(sha) } })).toBe(1);
      expect((await objects()).filter((p) => !objectsBefore.includes(p))).toEqual([blobPath(sha)]);
      const { body } = await fetchBytes(app, payloads[0]!.file.url);
      expect(body.equals(data)).toBe(true);
    });

    test('10 users uploading the same bytes at once: ten rows, one stored object', async () => {
      const users = await Promise.all(Array.from({ length: 10 }, () => signUp(app)));
      const data = randomBytes(120_000);
      const sha = sha256(data);
      const objectsBefore = await objects();
      const payloads = (await Promise.all(users.map((u) => upload(u, { name: 'same.bin', data })))).map(uploaded);
      expect(new Set(payloads.map((p) => p.file.uuid)).size).toBe(10);
      expect(payloads.every((p) => !p.duplicate)).toBe(true);
      expect(await db.file.count({ where: { fileChecksum: sha } })).toBe(10);
      expect(new Set((await db.fileLocation.findMany({ where: { path: blobPath(sha) } })).map((l) => l.bucketUuid)).size).toBe(1);
      expect((await objects()).filter((p) => !objectsBefore.includes(p))).toEqual([blobPath(sha)]);
    });
  });

  describe('hostile file names', () => {
    const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff/\\]/;
    const cases: Array<[label: string, name: string, encoding: NameEncoding, expected: string | ((stored: string) => void)]> = [
      ['unix traversal', '../../../../etc/passwd', 'quoted', 'passwd'],
      ['traversal in RFC 5987 form', '../../../escape.txt', 'rfc5987', 'escape.txt'],
      ['windows traversal', '..\\..\\..\\Windows\\System32\\evil.dll', 'quoted', 'evil.dll'],
      ['windows absolute path', 'C:\\Users\\Public\\evil.bat', 'quoted', 'evil.bat'],
      ['absolute unix path', '/var/lib/evil.sh', 'rfc5987', 'evil.sh'],
      ['only dots', '..', 'rfc5987', 'file'],
      ['percent-encoded traversal', '%2e%2e%2f%2e%2e%2fescape.txt', 'quoted', '%2e%2e%2f%2e%2e%2fescape.txt'],
      ['NUL', 'safe.txt\u0000.exe', 'rfc5987', 'safe.txt.exe'],
      ['CR LF header injection', 'a.txt\r\nX-Injected: yes', 'rfc5987', 'a.txtX-Injected: yes'],
      ['RTL override', 'invoice\u202Etxt.exe', 'quoted', 'invoicetxt.exe'],
      ['zero-width and bidi isolates', '\u2066re\u200bport\u2069.pdf', 'quoted', 'report.pdf'],
      ['quotes and semicolons', 'a"; filename="evil.html', 'quoted', 'a"; filename="evil.html'],
      ['decomposed unicode', 'cafe\u0301.txt', 'rfc5987', 'caf\u00e9.txt'],
      [
        '1000 ASCII characters',
        `${'x'.repeat(996)}.txt`,
        'quoted',
        (stored) => {
          expect(stored).toBe(`${'x'.repeat(251)}.txt`);
        },
      ],
      [
        '1000 two-byte characters',
        'é'.repeat(1000),
        'rfc5987',
        (stored) => {
          expect(stored).toBe('é'.repeat(127));
        },
      ],
      [
        '500 emoji with an extension',
        `${'😀'.repeat(500)}.png`,
        'quoted',
        (stored) => {
          expect(stored).toBe(`${'😀'.repeat(62)}.png`);
        },
      ],
    ];

    let server: TestHttpServer;
    beforeAll(async () => {
      server = await startHttpServer(app);
    });
    afterAll(() => server.close());

    test.each(cases)('%s: stored harmlessly and served with a safe Content-Disposition', async (_label, name, encoding, expected) => {
      const data = Buffer.from(`hostile name payload ${randomUUID()}`);
      const file = uploaded(
        await uploadRaw(app, UploadDocument, { name, encoding, type: 'text/plain', data }, { headers: alice.headers }),
      ).file;
      const stored = file.originalFileName;
      if (typeof expected === 'string') expect(stored).toBe(expected);
      else expected(stored);
      expect(stored).not.toMatch(FORBIDDEN);
      expect(Buffer.byteLength(stored, 'utf8')).toBeLessThanOrEqual(255);
      expect(stored).toBe(stored.normalize('NFC'));
      expect(['.', '..', '']).not.toContain(stored);
      expect(file.instances[0]?.locations[0]?.path).toMatch(BLOB);
      expect(file.fileName).toMatch(/^[0-9a-f]{64}\.[^/\\\u0000]+$/);

      // served over a real socket: node refuses invalid header bytes, so this also proves the header is well-formed
      const response = await httpGet(`${server.origin}${pathOf(file.url)}`);
      expect(response.status).toBe(200);
      expect(response.body.equals(data)).toBe(true);
      expect(response.headers['x-injected']).toBeUndefined();
      const disposition = String(response.headers['content-disposition']);
      const match = /^inline; filename="([\x20-\x21\x23-\x5b\x5d-\x7e]*)"(?:; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+))?$/.exec(
        disposition,
      );
      expect(match, disposition).not.toBeNull();
      const fallback = match![1]!;
      expect(fallback).not.toMatch(/["\\%/]/);
      expect(fallback).not.toMatch(/^\.*$/);
      const exact = match![2] ? decodeURIComponent(match![2]) : fallback;
      expect(exact).toBe(stored);
    });

    test('no hostile name put anything outside the bucket root: the whole data directory holds only blobs', async () => {
      const tree = await listTree(dataDir);
      const outside = tree.filter((p) => !p.startsWith('priv/media/'));
      expect(outside.filter((p) => p !== 'secret_key_base')).toEqual([]);
      for (const p of tree.filter((p) => p.startsWith('priv/media/'))) expect(p.slice('priv/media/'.length)).toMatch(BLOB);
      const parent = dirname(dataDir);
      for (const name of ['passwd', 'escape.txt', 'evil.dll', 'evil.bat', 'evil.sh', 'etc/passwd']) {
        expect(existsSync(join(parent, name))).toBe(false);
        expect(existsSync(join(dataDir, name))).toBe(false);
        expect(existsSync(join(dataDir, 'priv', name))).toBe(false);
      }
    });
  });
});
