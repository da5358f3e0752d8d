import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import type { FilesServingUploadMutation } from '../gql/graphql.js';
import { graphql } from '../gql/index.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';
import {
  captureUncaught,
  eventually,
  httpGet,
  openFilesUnder,
  pathOf,
  PNG_1X1,
  sha256,
  startHttpServer,
  tempDataDir,
  uploadVia,
  type TestHttpServer,
} from '../helpers/upload.js';

const UploadDocument = graphql(`
  mutation FilesServingUpload($input: UploadFileInput!) {
    uploadFile(input: $input) {
      __typename
      ... on MutationUploadFileSuccess { data { file { uuid url fileChecksum size mimeType originalFileName } } }
      ... on Error { message code }
    }
  }
`);

const UrlDocument = graphql(`
  query FilesServingUrl($uuid: UUID!, $expires: Int, $variant: String) {
    file(uuid: $uuid) {
      uuid
      url(expiresInSeconds: $expires, variant: $variant)
      instances { variantName url }
    }
  }
`);

const TrashDocument = graphql(`
  mutation FilesServingTrash($input: FileRefInput!) {
    trashFile(input: $input) { __typename ... on MutationTrashFileSuccess { data { status } } }
  }
`);

const RestoreDocument = graphql(`
  mutation FilesServingRestore($input: FileRefInput!) {
    restoreFile(input: $input) { __typename ... on MutationRestoreFileSuccess { data { status } } }
  }
`);

const DeleteDocument = graphql(`
  mutation FilesServingDelete($input: FileRefInput!) {
    deleteFile(input: $input) { __typename }
  }
`);

type Uploaded = Extract<
  NonNullable<ExecutionResult<FilesServingUploadMutation>['data']>['uploadFile'],
  { __typename: 'MutationUploadFileSuccess' }
>['data']['file'];

/** Everything a client can observe of a response: status, every header, the body. */
async function observe(response: Response) {
  return {
    status: response.status,
    headers: [...response.headers.entries()].sort(([a], [b]) => a.localeCompare(b)),
    body: Buffer.from(await response.arrayBuffer()).toString('base64'),
  };
}

/** Changes one character of a token to another valid base64url character. */
function flip(token: string, at: number): string {
  const i = at < 0 ? token.length + at : at;
  const c = token[i]!;
  return token.slice(0, i) + (c === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

describe.each(backends)('file serving on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let dataDir: string;
  let alice: TestUser;
  let bob: TestUser;
  let data: Buffer;
  let file: Uploaded;
  let other: Uploaded;
  const N = 300_001;

  const get = (path: string, init: RequestInit = {}) => app.fetch(`http://localhost${path}`, init);
  /** The status of a GET whose body is not looked at; the body is read to its end, so the stored file is closed. */
  const statusOf = async (path: string) => {
    const response = await get(path);
    await response.arrayBuffer();
    return response.status;
  };

  async function upload(user: TestUser, name: string, bytes: Uint8Array, type = 'application/octet-stream'): Promise<Uploaded> {
    const result = await uploadVia(app, UploadDocument, { name, type, data: bytes }, { headers: user.headers });
    const payload = result.data?.uploadFile;
    if (payload?.__typename !== 'MutationUploadFileSuccess') throw new Error(`upload failed: ${JSON.stringify(result)}`);
    return payload.data.file;
  }

  /** The path of a file URL split into its parts. */
  const parts = (url: string) => {
    const [, , uuid, variant, token] = new URL(url).pathname.split('/');
    return { uuid: uuid!, variant: variant!, token: token! };
  };

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    await signUp(app);
    alice = await signUp(app);
    bob = await signUp(app);
    data = randomBytes(N);
    file = await upload(alice, 'report 2024.bin', data);
    other = await upload(bob, 'other.bin', randomBytes(1000));
  });

  const cleanups: Array<() => Promise<void>> = [];

  afterAll(async () => {
    await backend.close();
    await rm(dataDir, { recursive: true, force: true });
    await Promise.all(cleanups.map((fn) => fn()));
  });

  test('a valid URL serves the bytes to anyone holding it, with type, disposition, ETag and safety headers', async () => {
    expect(pathOf(file.url)).toMatch(/^\/files\/[0-9a-f-]{36}\/original\/[A-Za-z0-9_-]{22,}$/);
    // the token carries at least 128 bits
    expect(Buffer.from(parts(file.url).token, 'base64url').length).toBeGreaterThanOrEqual(17);
    const response = await get(pathOf(file.url)); // no session: the token is the capability
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-length')).toBe(String(N));
    expect(response.headers.get('content-disposition')).toBe('inline; filename="report 2024.bin"');
    expect(response.headers.get('etag')).toBe(`"${sha256(data)}"`);
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  test('a read is one SQL statement: the variant, its name and its copies together', async () => {
    for (const init of [{}, { headers: { range: 'bytes=10-19' } }, { method: 'HEAD' }]) {
      const start = backend.queries.length;
      const response = await get(pathOf(file.url), init);
      const body = Buffer.from(await response.arrayBuffer());
      expect(response.status).toBeLessThan(300);
      if (init.headers) expect(body.equals(data.subarray(10, 20))).toBe(true);
      expect(backend.queries.slice(start)).toHaveLength(1);
    }
  });

  test('Content-Type follows the stored type; a non-ASCII name gets an RFC 5987 filename*', async () => {
    const png = await upload(alice, 'Résumé photo.png', PNG_1X1, 'text/html');
    const response = await get(pathOf(png.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-disposition')).toBe(
      `inline; filename="Resume photo.png"; filename*=UTF-8''R%C3%A9sum%C3%A9%20photo.png`,
    );
    expect(Buffer.from(await response.arrayBuffer()).equals(PNG_1X1)).toBe(true);
  });

  test('FileInstance.url serves the same variant as File.url', async () => {
    const result = await execute(app, UrlDocument, { uuid: file.uuid }, alice.headers);
    const instanceUrl = result.data?.file?.instances.find((i) => i.variantName === 'original')?.url;
    expect(instanceUrl).toBeTruthy();
    const response = await get(pathOf(instanceUrl!));
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
  });

  describe('bad tokens and missing files all get the identical 404', () => {
    let reference: Awaited<ReturnType<typeof observe>>;

    beforeAll(async () => {
      // the reference answer: a correctly signed URL for a file that does not exist
      reference = await observe(await get(pathOf(app.services.fileUrls.url(randomUUID(), 'original'))));
    });

    test('the reference answer is a bare 404 that is not cached', () => {
      expect(reference.status).toBe(404);
      expect(Object.fromEntries(reference.headers)).toMatchObject({ 'cache-control': 'no-store' });
      expect(Object.fromEntries(reference.headers).etag).toBeUndefined();
    });

    const cases: Array<[string, () => Promise<string>]> = [
      ['a tampered last character', async () => { const p = parts(file.url); return `/files/${p.uuid}/original/${flip(p.token, -1)}`; }],
      ['a tampered version byte', async () => { const p = parts(file.url); return `/files/${p.uuid}/original/${flip(p.token, 0)}`; }],
      ['a tampered middle character', async () => { const p = parts(file.url); return `/files/${p.uuid}/original/${flip(p.token, 20)}`; }],
      ['a truncated token', async () => { const p = parts(file.url); return `/files/${p.uuid}/original/${p.token.slice(0, -4)}`; }],
      ['a token with extra characters', async () => { const p = parts(file.url); return `/files/${p.uuid}/original/${p.token}AAAA`; }],
      ['an upper-cased uuid', async () => { const p = parts(file.url); return `/files/${p.uuid.toUpperCase()}/original/${p.token}`; }],
      ['another file\'s token', async () => `/files/${file.uuid}/original/${parts(other.url).token}`],
      ['this file\'s token on another file', async () => `/files/${other.uuid}/original/${parts(file.url).token}`],
      ['the original\'s token on another variant', async () => `/files/${file.uuid}/thumbnail/${parts(file.url).token}`],
      ['a valid token for a variant the file does not have', async () => pathOf(app.services.fileUrls.url(file.uuid, 'thumbnail'))],
      ['a variant whose rendering failed (a row without bytes)', async () => {
        await db.fileInstance.create({
          data: { fileUuid: file.uuid, variantName: 'failed-small', fileName: '', mimeType: 'image/jpeg', ext: 'jpg', checksum: '', size: 0n, processingStatus: 'failed' },
        });
        return pathOf(app.services.fileUrls.url(file.uuid, 'failed-small'));
      }],
      ['a token signed with another server secret', async () => {
        const foreignDir = tempDataDir();
        cleanups.push(() => rm(foreignDir, { recursive: true, force: true }));
        const foreignApp = createTestApp(backend, {
          env: { DATA_DIR: foreignDir, SECRET_KEY_BASE: 'another-secret-key-base-that-is-long-enough-9876543210' },
        });
        return pathOf(foreignApp.services.fileUrls.url(file.uuid, 'original'));
      }],
      ['a missing file (random uuid, valid signature)', async () => pathOf(app.services.fileUrls.url(randomUUID(), 'original'))],
      ['a deleted file', async () => {
        const gone = await upload(alice, 'gone.bin', randomBytes(500));
        expect((await execute(app, DeleteDocument, { input: { uuid: gone.uuid } }, alice.headers)).data?.deleteFile.__typename).toBe(
          'MutationDeleteFileSuccess',
        );
        return pathOf(gone.url);
      }],
      ['a malformed uuid', async () => `/files/not-a-uuid/original/${parts(file.url).token}`],
      ['a validly signed id of 36 dashes (not a UUID)', async () => pathOf(app.services.fileUrls.url('-'.repeat(36), 'original'))],
      ['a validly signed variant holding a NUL', async () => pathOf(app.services.fileUrls.url(file.uuid, 'thumb\u0000'))],
      ['a missing token', async () => `/files/${file.uuid}/original/`],
      ['an extra path segment', async () => `${pathOf(file.url)}/more`],
      ['a percent-encoded traversal variant', async () => `/files/${file.uuid}/..%2F..%2Fetc%2Fpasswd/${parts(file.url).token}`],
    ];

    test.each(cases)('%s', async (_label, makePath) => {
      const path = await makePath();
      expect(await observe(await get(path))).toEqual(reference);
      expect(await observe(await get(path, { method: 'HEAD' }))).toMatchObject({ status: 404 });
      // conditional and range headers do not change the answer
      expect(await observe(await get(path, { headers: { 'if-none-match': '*' } }))).toEqual(reference);
      expect(await observe(await get(path, { headers: { 'if-none-match': '""', range: 'bytes=0-' } }))).toEqual(reference);
    });

    test('an expired URL (expiresInSeconds: 1) gets the same 404 once the second has passed', async () => {
      const long = await execute(app, UrlDocument, { uuid: file.uuid, expires: 3600 }, alice.headers);
      const longUrl = long.data!.file!.url;
      expect(parts(longUrl).token).not.toBe(parts(file.url).token);
      expect(await statusOf(pathOf(longUrl))).toBe(200); // expiring URLs work until they expire

      const short = await execute(app, UrlDocument, { uuid: file.uuid, expires: 1 }, alice.headers);
      const shortUrl = short.data!.file!.url;
      await new Promise((r) => setTimeout(r, 2_100));
      expect(await observe(await get(pathOf(shortUrl)))).toEqual(reference);
      expect(await statusOf(pathOf(longUrl))).toBe(200);
    });

    test('a trashed file gets the same 404; restored, its URL works again', async () => {
      const f = await upload(alice, 'trash-me.bin', randomBytes(2000));
      expect(await statusOf(pathOf(f.url))).toBe(200);
      expect((await execute(app, TrashDocument, { input: { uuid: f.uuid } }, alice.headers)).data?.trashFile).toMatchObject({
        data: { status: 'trashed' },
      });
      expect(await observe(await get(pathOf(f.url)))).toEqual(reference);
      expect((await execute(app, RestoreDocument, { input: { uuid: f.uuid } }, alice.headers)).data?.restoreFile).toMatchObject({
        data: { status: 'active' },
      });
      expect(await statusOf(pathOf(f.url))).toBe(200);
    });
  });

  describe('Range requests return exact bytes', () => {
    test.each<[string, string, [number, number]]>([
      ['first byte', 'bytes=0-0', [0, 0]],
      ['last byte', `bytes=${N - 1}-${N - 1}`, [N - 1, N - 1]],
      ['middle', 'bytes=70000-200000', [70_000, 200_000]],
      ['suffix', 'bytes=-500', [N - 500, N - 1]],
      ['suffix longer than the file', `bytes=-${N + 10}`, [0, N - 1]],
      ['open-ended', 'bytes=250000-', [250_000, N - 1]],
      ['open-ended from the last byte', `bytes=${N - 1}-`, [N - 1, N - 1]],
      ['end past the file', `bytes=${N - 10}-${N + 1000}`, [N - 10, N - 1]],
    ])('%s (%s)', async (_label, range, [start, end]) => {
      const response = await get(pathOf(file.url), { headers: { range } });
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${N}`);
      expect(response.headers.get('content-length')).toBe(String(end - start + 1));
      const body = Buffer.from(await response.arrayBuffer());
      expect(body.equals(data.subarray(start, end + 1))).toBe(true);
    });

    test.each([`bytes=${N}-`, `bytes=${N + 5}-${N + 10}`, 'bytes=-0'])('unsatisfiable %s: 416 with Content-Range bytes */size', async (range) => {
      const response = await get(pathOf(file.url), { headers: { range } });
      expect(response.status).toBe(416);
      expect(response.headers.get('content-range')).toBe(`bytes */${N}`);
      expect((await response.arrayBuffer()).byteLength).toBe(0);
    });

    test.each(['bytes=abc', 'bytes=0-1,5-6', 'items=0-5', 'bytes=9-3'])('an unusable range header (%s) is ignored: the whole file', async (range) => {
      const response = await get(pathOf(file.url), { headers: { range } });
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
    });
  });

  describe('If-Range', () => {
    test('the same strong tag: the range (206)', async () => {
      const response = await get(pathOf(file.url), { headers: { range: 'bytes=0-9', 'if-range': `"${file.fileChecksum}"` } });
      expect(response.status).toBe(206);
      expect(Buffer.from(await response.arrayBuffer()).equals(data.subarray(0, 10))).toBe(true);
    });

    test.each([
      ['another tag', () => `"${'0'.repeat(64)}"`],
      ['the weak form of the tag', () => `W/"${file.fileChecksum}"`],
      ['a date', () => new Date().toUTCString()],
    ])('%s: the whole file (200), not a range of other bytes', async (_label, header) => {
      const response = await get(pathOf(file.url), { headers: { range: 'bytes=0-9', 'if-range': header() } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-range')).toBeNull();
      expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
    });
  });

  test('a variant is sent under its own extension and revalidated; the original is cached as immutable', async () => {
    const original = await db.fileLocation.findFirstOrThrow({ where: { fileInstance: { fileUuid: file.uuid, variantName: 'original' } } });
    const variant = await db.fileInstance.create({
      data: {
        fileUuid: file.uuid,
        variantName: 'as-jpeg',
        fileName: original.path,
        mimeType: 'image/jpeg',
        ext: 'jpg',
        checksum: file.fileChecksum,
        size: BigInt(N),
        processingStatus: 'completed',
        locations: { create: { path: original.path, status: 'active', priority: 0, bucketUuid: original.bucketUuid } },
      },
    });
    try {
      const response = await get(pathOf(app.services.fileUrls.url(file.uuid, 'as-jpeg')));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toBe('inline; filename="report 2024.jpg"');
      expect(response.headers.get('cache-control')).toBe('private, no-cache');
      await response.arrayBuffer();
      const originalResponse = await get(pathOf(file.url));
      expect(originalResponse.headers.get('content-disposition')).toBe('inline; filename="report 2024.bin"');
      expect(originalResponse.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      await originalResponse.arrayBuffer();
      // a URL that expires is cached only until then
      const brief = await get(pathOf(app.services.fileUrls.url(file.uuid, 'original', new Date(Date.now() + 60_000))));
      expect(brief.headers.get('cache-control')).toMatch(/^private, max-age=(59|60), immutable$/);
      await brief.arrayBuffer();
    } finally {
      await db.fileInstance.delete({ where: { uuid: variant.uuid } });
    }
  });

  test('File.url refuses a lifetime outside 1 s to a year instead of changing it', async () => {
    for (const expires of [0, -5, 31_536_001, 2_147_483_647]) {
      const result = await execute(app, UrlDocument, { uuid: file.uuid, expires }, alice.headers);
      expect(result.errors?.[0], String(expires)).toMatchObject({
        message: 'expiresInSeconds must be 1 to 31536000 (a year)',
        extensions: { code: 'BAD_USER_INPUT' },
      });
      expect(result.data?.file ?? null).toBeNull();
    }
    const year = await execute(app, UrlDocument, { uuid: file.uuid, expires: 31_536_000 }, alice.headers);
    expect(await statusOf(pathOf(year.data!.file!.url))).toBe(200);
  });

  test('File.url refuses a variant name no file URL can carry', async () => {
    for (const variant of ['', 'v'.repeat(101), 'é'.repeat(17), '\u0000', 'thumb\n', '.', '..']) {
      const result = await execute(app, UrlDocument, { uuid: file.uuid, variant }, alice.headers);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.data?.file ?? null).toBeNull();
    }
    const longest = await execute(app, UrlDocument, { uuid: file.uuid, variant: 'v'.repeat(100) }, alice.headers);
    expect(longest.errors).toBeUndefined();
    // a URL the route accepts: a variant the file lacks, so the usual 404
    expect(await statusOf(pathOf(longest.data!.file!.url))).toBe(404);
  });

  describe('ETag and If-None-Match', () => {
    test.each([
      ['the same tag', (tag: string) => tag],
      ['the weak form', (tag: string) => `W/${tag}`],
      ['a list containing it', (tag: string) => `"nope", ${tag}`],
      ['*', () => '*'],
    ])('%s: 304 without a body', async (_label, header) => {
      const tag = `"${file.fileChecksum}"`;
      const response = await get(pathOf(file.url), { headers: { 'if-none-match': header(tag) } });
      expect(response.status).toBe(304);
      expect(response.headers.get('etag')).toBe(tag);
      expect((await response.arrayBuffer()).byteLength).toBe(0);
    });

    test('another tag: 200 with the bytes', async () => {
      const response = await get(pathOf(file.url), { headers: { 'if-none-match': `"${'0'.repeat(64)}"` } });
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
    });
  });

  test('an empty file: the last byte asked for is the whole, empty file (200); a range from its start is 416', async () => {
    const empty = await upload(alice, 'empty.bin', new Uint8Array(0));
    const suffix = await get(pathOf(empty.url), { headers: { range: 'bytes=-1' } });
    expect(suffix.status).toBe(200);
    expect(suffix.headers.get('content-length')).toBe('0');
    expect((await suffix.arrayBuffer()).byteLength).toBe(0);
    const fromStart = await get(pathOf(empty.url), { headers: { range: 'bytes=0-' } });
    expect(fromStart.status).toBe(416);
    expect(fromStart.headers.get('content-range')).toBe('bytes */0');
  });

  describe('If-Match', () => {
    test.each([
      ['the same tag', (tag: string) => tag, 200],
      ['a list containing it', (tag: string) => `"nope", ${tag}`, 200],
      ['*', () => '*', 200],
      ['another tag', () => `"${'0'.repeat(64)}"`, 412],
      ['the weak form (If-Match compares strongly)', (tag: string) => `W/${tag}`, 412],
    ])('%s: %i', async (_label, header, status) => {
      const tag = `"${file.fileChecksum}"`;
      for (const init of [{}, { headers: { range: 'bytes=0-9' } }, { method: 'HEAD' }]) {
        const response = await get(pathOf(file.url), { ...init, headers: { ...(init as { headers?: Record<string, string> }).headers, 'if-match': header(tag) } });
        const expected = status === 200 && 'headers' in init ? 206 : status;
        expect(response.status, JSON.stringify(init)).toBe(expected);
        const body = await response.arrayBuffer(); // read to its end, so the stored file is closed
        if (status === 412) expect(body.byteLength).toBe(0);
      }
    });
  });

  test('HEAD answers the headers of GET without a body (and 206 for a range)', async () => {
    const head = await get(pathOf(file.url), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(N));
    expect(head.headers.get('etag')).toBe(`"${file.fileChecksum}"`);
    expect(head.headers.get('content-disposition')).toBe('inline; filename="report 2024.bin"');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const ranged = await get(pathOf(file.url), { method: 'HEAD', headers: { range: 'bytes=10-19' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-length')).toBe('10');
    expect(ranged.headers.get('content-range')).toBe(`bytes 10-19/${N}`);
  });

  test('other methods are refused with 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await get(pathOf(file.url), { method, body: method === 'DELETE' ? undefined : 'x' });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
    expect(await statusOf(pathOf(file.url))).toBe(200);
    expect(await db.file.count({ where: { uuid: file.uuid } })).toBe(1);
  });

  test('a database failure answers 503 with nothing of the cause, and the route works again after', async () => {
    await backend.database.sql.query('ALTER TABLE phoenix_kit_file_instances RENAME TO phoenix_kit_file_instances_away');
    try {
      const failed = await get(pathOf(file.url));
      expect(failed.status).toBe(503);
      expect(failed.headers.get('cache-control')).toBe('no-store');
      expect(await failed.text()).toBe('Service unavailable\n');
    } finally {
      await backend.database.sql.query('ALTER TABLE phoenix_kit_file_instances_away RENAME TO phoenix_kit_file_instances');
    }
    expect(await statusOf(pathOf(file.url))).toBe(200);
  });

  describe('over a real socket (node:http)', () => {
    let server: TestHttpServer;
    beforeAll(async () => {
      server = await startHttpServer(app);
    });
    afterAll(() => server.close());

    test('full body, exact ranges, HEAD without a body, 304 and 404', async () => {
      const url = `${server.origin}${pathOf(file.url)}`;
      const full = await httpGet(url);
      expect(full.status).toBe(200);
      expect(full.headers['content-length']).toBe(String(N));
      expect(full.body.equals(data)).toBe(true);

      const middle = await httpGet(url, { headers: { range: 'bytes=65530-131080' } });
      expect(middle.status).toBe(206);
      expect(middle.headers['content-range']).toBe(`bytes 65530-131080/${N}`);
      expect(middle.body.equals(data.subarray(65_530, 131_081))).toBe(true);

      const suffix = await httpGet(url, { headers: { range: 'bytes=-1' } });
      expect(suffix.status).toBe(206);
      expect(suffix.body.equals(data.subarray(N - 1))).toBe(true);

      const head = await httpGet(url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe(String(N));
      expect(head.body.length).toBe(0);

      const notModified = await httpGet(url, { headers: { 'if-none-match': `"${file.fileChecksum}"` } });
      expect(notModified.status).toBe(304);
      expect(notModified.body.length).toBe(0);

      const unsatisfiable = await httpGet(url, { headers: { range: `bytes=${N}-` } });
      expect(unsatisfiable.status).toBe(416);

      const tampered = await httpGet(`${server.origin}/files/${file.uuid}/original/${flip(parts(file.url).token, -1)}`);
      const missing = await httpGet(`${server.origin}${pathOf(app.services.fileUrls.url(randomUUID(), 'original'))}`);
      expect(tampered.status).toBe(404);
      const strip = (h: Record<string, unknown>) => {
        const { date: _date, ...rest } = h;
        return rest;
      };
      expect(strip(tampered.headers)).toEqual(strip(missing.headers));
      expect(tampered.body.equals(missing.body)).toBe(true);
      expect(server.clientErrors).toEqual([]);
    });

    test('a client that hangs up before the response starts leaves no stored file open', async () => {
      const big = await upload(alice, 'big.bin', randomBytes(4 * 1024 * 1024));
      const files = app.services.files;
      const openCopy = files.openCopy.bind(files);
      let opened = 0;
      // slow storage: the copy opens after the client has gone
      files.openCopy = async (...args) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        opened += 1;
        return openCopy(...args);
      };
      const uncaught = captureUncaught();
      try {
        for (let i = 0; i < 3; i++) {
          const request = httpRequest(`${server.origin}${pathOf(big.url)}`);
          request.on('error', () => undefined);
          request.end();
          await new Promise((resolve) => setTimeout(resolve, 100));
          request.destroy();
        }
        expect(await eventually(async () => opened === 3)).toBe(true);
        expect(await eventually(async () => openFilesUnder(dataDir) === 0, 3000)).toBe(true);
        expect(uncaught.messages()).toEqual([]);
      } finally {
        uncaught.dispose();
        files.openCopy = openCopy;
      }
    });
  });
});
