import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer, request as httpRequest, type ClientRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { print, type ExecutionResult } from 'graphql';
import { nodeHandler, type App } from '../../src/app.js';

/**
 * GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec) for upload tests:
 * `operations` holds the document with `variables.input.file = null`, `map` points file part `0` at it.
 */

export type FilePart = { name: string; type?: string; data: Uint8Array };

const UPLOAD_PATH = 'variables.input.file';

/** The `operations` JSON of an upload: the document, `variables` with `input.file` set to null. */
export function uploadOperations(document: TypedDocumentNode<any, any>, variables: Record<string, unknown> = {}): string {
  const input = (variables.input as Record<string, unknown> | undefined) ?? {};
  return JSON.stringify({ query: print(document), variables: { ...variables, input: { ...input, file: null } } });
}

/** A FormData body as a browser would send it (undici writes it with its own boundary). */
export function uploadForm(document: TypedDocumentNode<any, any>, file: FilePart, variables?: Record<string, unknown>): FormData {
  const form = new FormData();
  form.set('operations', uploadOperations(document, variables));
  form.set('map', JSON.stringify({ 0: [UPLOAD_PATH] }));
  form.set('0', new Blob([Buffer.from(file.data)], { type: file.type ?? 'application/octet-stream' }), file.name);
  return form;
}

/** Uploads through `app.fetch` with a FormData body (no socket). */
export async function uploadVia<TResult>(
  app: App,
  document: TypedDocumentNode<TResult, any>,
  file: FilePart,
  opts: { headers?: Record<string, string>; variables?: Record<string, unknown> } = {},
): Promise<ExecutionResult<TResult>> {
  const response = await app.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { accept: 'application/json', ...opts.headers },
    body: uploadForm(document, file, opts.variables),
  });
  return (await response.json()) as ExecutionResult<TResult>;
}

/** How the file name is written in the part header. */
export type NameEncoding =
  /** `filename="…"` with `"` and `\` escaped, every other character raw UTF-8 (NUL and CR/LF included). */
  | 'quoted'
  /** `filename*=UTF-8''…` percent-encoded (RFC 5987): any code point, NUL and CR/LF included, reaches the parser. */
  | 'rfc5987';

const encode5987 = (value: string) =>
  [...Buffer.from(value, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** The head and tail around the file bytes of a hand-written multipart body (exact bytes, any file name). */
export function multipartFrame(operations: string, file: { name: string; type?: string; encoding?: NameEncoding }) {
  const boundary = `----pk-upload-${randomBytes(12).toString('hex')}`;
  const name =
    file.encoding === 'rfc5987'
      ? `filename*=UTF-8''${encode5987(file.name)}`
      : `filename="${file.name.replace(/(["\\])/g, '\\$1')}"`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n${JSON.stringify({ 0: [UPLOAD_PATH] })}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; ${name}\r\n` +
      `Content-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`,
    'utf8',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  return { boundary, contentType: `multipart/form-data; boundary=${boundary}`, head, tail };
}

/** A complete multipart body in one buffer, with its Content-Type and Content-Length. */
export function multipartBuffer(
  document: TypedDocumentNode<any, any>,
  file: FilePart & { encoding?: NameEncoding },
  variables?: Record<string, unknown>,
) {
  const frame = multipartFrame(uploadOperations(document, variables), file);
  const body = Buffer.concat([frame.head, Buffer.from(file.data), frame.tail]);
  return { body, headers: { 'content-type': frame.contentType, 'content-length': String(body.length) } };
}

/** Uploads a hand-written multipart body through `app.fetch`, with its Content-Length (exact bytes, any file name). */
export async function uploadRaw<TResult>(
  app: App,
  document: TypedDocumentNode<TResult, any>,
  file: FilePart & { encoding?: NameEncoding },
  opts: { headers?: Record<string, string>; variables?: Record<string, unknown> } = {},
): Promise<ExecutionResult<TResult>> {
  const { body, headers } = multipartBuffer(document, file, opts.variables);
  const response = await app.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { accept: 'application/json', ...headers, ...opts.headers },
    body,
  });
  return (await response.json()) as ExecutionResult<TResult>;
}

/**
 * `total` bytes of deterministic pseudo-random data produced on the fly (never held whole), with the SHA-256 of
 * what was produced. Different `seed`s give different bytes.
 */
export function generatedBytes(total: number, seed = 'seed') {
  const hash = createHash('sha256');
  let sent = 0;
  let counter = 0;
  const CHUNK = 256 * 1024;
  const block = Buffer.allocUnsafe(CHUNK);
  function* chunks(): Generator<Buffer> {
    while (sent < total) {
      const n = Math.min(CHUNK, total - sent);
      const pattern = createHash('sha512').update(`${seed}:${counter++}`).digest();
      for (let i = 0; i < n; i += pattern.length) pattern.copy(block, i, 0, Math.min(pattern.length, n - i));
      const out = Buffer.from(block.subarray(0, n)); // a copy: the consumer may hold it while we refill
      hash.update(out);
      sent += n;
      yield out;
    }
  }
  return { chunks, sha256: () => hash.copy().digest('hex'), sent: () => sent };
}

/** The same deterministic bytes as a buffer (for small files). */
export function bytesOf(total: number, seed = 'seed'): Buffer {
  const g = generatedBytes(total, seed);
  return Buffer.concat([...g.chunks()]);
}

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * The app on a real node:http server on a free loopback port (the node request path, real sockets). `clientErrors`
 * collects what node reported as client errors (e.g. `HPE_JS_EXCEPTION`: an exception thrown while the request body
 * was being delivered), which a well-behaved server never produces for a well-formed request.
 */
export type TestHttpServer = { origin: string; port: number; server: Server; clientErrors: string[]; close(): Promise<void> };

export async function startHttpServer(app: App): Promise<TestHttpServer> {
  const server = createServer(nodeHandler(app));
  const clientErrors: string[] = [];
  server.on('clientError', (error: Error & { code?: string }, socket) => {
    clientErrors.push(`${error.code ?? 'ERR'}: ${error.message}`);
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    server,
    clientErrors,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type HttpResult = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

/** One request over a real socket (node's own client); `send` writes the body, if any, and ends the request. */
function overSocket(
  url: string,
  opts: { method: string; headers?: Record<string, string> },
  send: (req: ClientRequest) => void,
): Promise<HttpResult> {
  return new Promise<HttpResult>((resolve, reject) => {
    const req = httpRequest(url, opts);
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    send(req);
  });
}

/** POSTs `body` as it is to `/graphql` over a socket (hand-made multipart bodies, any bytes in them). */
export function postRawBody(origin: string, body: Buffer, headers: Record<string, string>): Promise<HttpResult> {
  const sent = { ...headers, 'content-length': String(body.length) };
  return overSocket(`${origin}/graphql`, { method: 'POST', headers: sent }, (req) => req.end(body));
}

/**
 * POSTs a streamed multipart upload over a real socket: the operations, then the file bytes from `chunks` as they
 * are produced (backpressure respected), then the closing boundary. `size` known: Content-Length is sent; else the
 * body goes chunked.
 */
export function postStreamedUpload(
  origin: string,
  document: TypedDocumentNode<unknown, any>,
  file: { name: string; type?: string; chunks: Iterable<Buffer> | AsyncIterable<Buffer>; size?: number },
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const frame = multipartFrame(uploadOperations(document), file);
  async function* body() {
    yield frame.head;
    yield* file.chunks;
    yield frame.tail;
  }
  const length = file.size === undefined ? undefined : frame.head.length + file.size + frame.tail.length;
  const sent = {
    accept: 'application/json',
    'content-type': frame.contentType,
    ...(length === undefined ? {} : { 'content-length': String(length) }),
    ...headers,
  };
  return overSocket(`${origin}/graphql`, { method: 'POST', headers: sent }, (req) => Readable.from(body()).pipe(req));
}

/** GET/HEAD over a real socket (node's own client: the raw status line and headers as sent). */
export function httpGet(url: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return overSocket(url, { method: opts.method ?? 'GET', headers: opts.headers }, (req) => req.end());
}

/**
 * Records exceptions nobody handled (e.g. an 'error' event on a stream without listeners) while it is active; in a
 * server process any of them would be fatal.
 */
export function captureUncaught() {
  const errors: unknown[] = [];
  const onError = (error: unknown) => errors.push(error);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return {
    errors,
    messages: () => errors.map((e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e))),
    dispose() {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
    },
  };
}

/** A fresh data directory for one app (local buckets live under it). */
/** Open file descriptors of this process on files under `dir` (Linux: /proc/self/fd). */
export function openFilesUnder(dir: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
    } catch {
      return false; // closed while listing
    }
  }).length;
}

export const tempDataDir = () => mkdtempSync(join(tmpdir(), 'pk-files-'));

/** Every regular file under `dir`, as `/`-separated paths relative to it (missing dir: none). */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(current: string) {
    for (const entry of await readdir(current, { withFileTypes: true }).catch(() => [])) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(relative(dir, full).split(sep).join('/'));
    }
  }
  await walk(dir);
  return out.sort();
}

/** The keys of the objects an s3rver directory holds for `bucket` (s3rver keeps `<key>._S3rver_object` files). */
export async function listS3rverKeys(directory: string, bucket: string): Promise<string[]> {
  return (await listTree(join(directory, bucket)))
    .filter((name) => name.endsWith('._S3rver_object'))
    .map((name) => name.replace(/\/?\._S3rver_object$/, ''))
    .sort();
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last answer. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The path + query of an absolute file URL, to send to `app.fetch` or a test server. */
export const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

/** A minimal valid 1×1 PNG. */
export const PNG_1X1 = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000100' +
    'e221bc330000000049454e44ae426082',
  'hex',
);
