import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const MiB = 1024 * 1024;

export type Target = { port: number; agent: http.Agent };

export function target(port: number, connections: number): Target {
  return { port, agent: new http.Agent({ keepAlive: true, maxSockets: connections }) };
}

export type Reply = { status: number; body: Buffer };

/** One HTTP request over the target's keep-alive agent; `body` is a buffer or a stream piped into the socket. */
export function request(
  t: Target,
  opts: { method: string; path: string; headers?: Record<string, string | number>; body?: Buffer | Buffer[] | Readable },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: t.port, method: opts.method, path: opts.path, headers: opts.headers, agent: t.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body instanceof Readable) {
      pipeline(opts.body, req).catch(reject);
    } else if (Array.isArray(opts.body)) {
      for (const part of opts.body) req.write(part);
      req.end();
    } else {
      req.end(opts.body);
    }
  });
}

export const USER_AGENT = 'phoenixkit-bench/1';

export type GqlResult<T = Record<string, any>> = { data?: T; errors?: Array<{ message: string }> };

/** A JSON GraphQL request; throws on HTTP errors and on top-level GraphQL errors. */
export async function gql<T = Record<string, any>>(
  t: Target,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const body = Buffer.from(JSON.stringify({ query, variables }));
  const reply = await request(t, {
    method: 'POST',
    path: '/graphql',
    headers: jsonHeaders(body.length, token),
    body,
  });
  return unwrap<T>(reply);
}

export function jsonHeaders(length: number, token?: string): Record<string, string | number> {
  return {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': USER_AGENT,
    'content-length': length,
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}

export function unwrap<T>(reply: Reply): T {
  let parsed: GqlResult<T>;
  try {
    parsed = JSON.parse(reply.body.toString('utf8')) as GqlResult<T>;
  } catch {
    throw new Error(`HTTP ${reply.status}: ${reply.body.toString('utf8').slice(0, 500)}`);
  }
  if (parsed.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(parsed.errors).slice(0, 500)}`);
  if (reply.status !== 200 || !parsed.data) throw new Error(`HTTP ${reply.status}: ${reply.body.toString('utf8').slice(0, 500)}`);
  return parsed.data;
}

export const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      __typename
      ... on MutationRegisterSuccess { data { token user { uuid } } }
      ... on Error { message code }
    }
  }
`;

export const UPLOAD = /* GraphQL */ `
  mutation Upload($file: Upload!) {
    uploadFile(input: { file: $file }) {
      __typename
      ... on MutationUploadFileSuccess { data { duplicate file { uuid size } } }
      ... on Error { message code }
    }
  }
`;

/** Registers an account and returns its session token (the first account of a database is the Owner). */
export async function register(t: Target, label: string): Promise<{ token: string; uuid: string }> {
  const email = `${label}-${randomBytes(4).toString('hex')}@bench.test`;
  const data = await gql(t, REGISTER, { input: { email, password: 'bench-password-1' } });
  const r = data.register;
  if (r.__typename !== 'MutationRegisterSuccess') throw new Error(`register: ${r.__typename} ${r.message ?? ''}`);
  return { token: r.data.token, uuid: r.data.user.uuid };
}

/**
 * The framing of a GraphQL multipart request (spec: operations, map, then the file part) around a file of `size`
 * bytes; the bytes themselves go between `head` and `tail`.
 */
export function multipartFraming(size: number, filename: string, query = UPLOAD) {
  const boundary = `----pkbench${randomBytes(12).toString('hex')}`;
  const operations = JSON.stringify({ query, variables: { file: null } });
  const map = JSON.stringify({ 0: ['variables.file'] });
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n${map}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="${filename}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { contentType: `multipart/form-data; boundary=${boundary}`, head, tail, length: head.length + size + tail.length };
}

export type UploadReply = { uuid: string; size: number; duplicate: boolean };

function uploadResult(reply: Reply): UploadReply {
  const data = unwrap<{ uploadFile: any }>(reply);
  const r = data.uploadFile;
  if (r.__typename !== 'MutationUploadFileSuccess') throw new Error(`uploadFile: ${r.__typename} ${r.message ?? ''}`);
  return { uuid: r.data.file.uuid, size: r.data.file.size, duplicate: r.data.duplicate };
}

/** Uploads a file held in memory. */
export async function uploadBuffer(t: Target, token: string | undefined, content: Buffer, filename: string): Promise<UploadReply> {
  const f = multipartFraming(content.length, filename);
  const reply = await request(t, {
    method: 'POST',
    path: '/graphql',
    headers: uploadHeaders(f, token),
    body: [f.head, content, f.tail],
  });
  return uploadResult(reply);
}

/** Uploads `size` bytes produced while sending (never held whole in memory). */
export async function uploadGenerated(t: Target, token: string | undefined, size: number, filename: string): Promise<UploadReply> {
  const f = multipartFraming(size, filename);
  const body = Readable.from(
    (function* () {
      yield f.head;
      yield* generatedBytes(size);
      yield f.tail;
    })(),
    { objectMode: false, highWaterMark: 4 * MiB },
  );
  const reply = await request(t, { method: 'POST', path: '/graphql', headers: uploadHeaders(f, token), body });
  return uploadResult(reply);
}

function uploadHeaders(f: ReturnType<typeof multipartFraming>, token: string | undefined) {
  return {
    'content-type': f.contentType,
    'content-length': f.length,
    'user-agent': USER_AGENT,
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}

/**
 * `size` bytes in 1 MiB chunks: one random block sent over and over, the first copy stamped with a per-call nonce
 * (so two calls never give the same bytes). Nothing is allocated per chunk and the block is never changed after it
 * is handed out, so the client spends next to no CPU on it and holds 1 MiB whatever the size.
 */
export function* generatedBytes(size: number, block = MiB): Generator<Buffer> {
  const base = randomBytes(block);
  const first = Buffer.from(base);
  randomBytes(16).copy(first, 0);
  for (let offset = 0; offset < size; offset += block) {
    const n = Math.min(block, size - offset);
    const chunk = offset === 0 ? first : base;
    yield n === block ? chunk : chunk.subarray(0, n);
  }
}

/** `count` distinct buffers of `size` random-looking bytes (a shared random body with a unique 16-byte stamp). */
export function distinctBodies(count: number, size: number): Buffer[] {
  const base = randomBytes(size);
  const nonce = randomBytes(8);
  return Array.from({ length: count }, (_, i) => {
    const b = Buffer.from(base);
    nonce.copy(b, 0);
    b.writeUInt32BE(i, 8);
    b.writeUInt32BE(i, size - 4);
    return b;
  });
}

/** Runs `count` tasks with at most `concurrency` at a time; returns each task's latency in ms. */
export async function runPool(count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        await task(i);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  return latencies;
}

export function percentile(sortedAsc: readonly number[], p: number): number {
  if (sortedAsc.length === 0) return Number.NaN;
  const rank = Math.min(sortedAsc.length - 1, Math.max(0, Math.ceil((p / 100) * sortedAsc.length) - 1));
  return sortedAsc[rank]!;
}
