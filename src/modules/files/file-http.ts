import { Readable } from 'node:stream';
import type { Plugin } from 'graphql-yoga';
import type { Db } from '../../db/database.js';
import { NotFoundError } from '../../graphql/errors.js';
import type { Bucket } from '../../generated/prisma/client.js';
import type { Logger } from '../../logger.js';
import type { StorageKey } from '../../storage/storage-key.js';
import type { BucketService } from './bucket.service.js';
import { contentDisposition, variantFileName } from './domain/file-name.js';
import { decideRange, etagMatches, fileCacheControl, ifMatchHolds, ifRangeHolds } from './domain/http-range.js';
import { isUrlVariant, MAX_VARIANT_PATH_CHARS, presignedLifetime } from './domain/url-token.js';
import type { FileUrls } from './file-urls.js';
import { COPY_ORDER, READABLE_COPY, type FileService } from './file.service.js';
import { UUID_SOURCE } from '../../util/uuid.js';

const PATH = new RegExp(`^/files/(${UUID_SOURCE})/([^/]{1,${MAX_VARIANT_PATH_CHARS}})/([A-Za-z0-9_-]{16,128})$`);

/** A bad token, a missing file and a missing variant all get this same answer (no enumeration). */
export const notFound = () =>
  new Response('Not found\n', { status: 404, headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' } });

/** No copy can be read now, or the database failed: nothing about the cause reaches the client. */
export const unavailable = () =>
  new Response('Service unavailable\n', { status: 503, headers: { 'retry-after': '5', 'cache-control': 'no-store' } });

/**
 * Answers with `serve`, or with `unavailable()` when it throws (a database outage, say), logged: an error never
 * reaches the HTTP layer, which would answer with its stack.
 */
export async function answer(log: Logger, serve: () => Promise<Response>): Promise<Response> {
  try {
    return await serve();
  } catch (error) {
    log.error({ err: error }, 'file request failed');
    return unavailable();
  }
}

/**
 * The response body of an opened copy. A client that hangs up before the response starts never reads it, so the
 * stream (and its file descriptor) is closed when the request is aborted.
 */
export function responseBody(stream: Readable, signal: AbortSignal): ReadableStream<Uint8Array> {
  const close = () => stream.destroy();
  if (signal.aborted) close();
  else {
    signal.addEventListener('abort', close, { once: true });
    stream.once('close', () => signal.removeEventListener('abort', close));
  }
  return Readable.toWeb(stream) as ReadableStream<Uint8Array>;
}

/**
 * `GET|HEAD /files/<uuid>/<variant>/<token>`: checks the HMAC token in constant time, then streams the variant from
 * its copies in priority order (failover), with Range, ETag/304 and Content-Disposition. Copies in a `signed` S3
 * bucket answer with a redirect to a short-lived presigned URL instead.
 */
export function useFileServing(deps: { db: Db; log: Logger; files: FileService; buckets: BucketService; urls: FileUrls }): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (!url.pathname.startsWith('/files/')) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      endResponse(await answer(deps.log, () => serve(deps, request, url)));
    },
  };
}

async function serve(
  { db, log, files, buckets, urls }: Parameters<typeof useFileServing>[0],
  request: Request,
  url: URL,
): Promise<Response> {
  const match = PATH.exec(url.pathname);
  if (!match) return notFound();
  const [, uuid = '', encodedVariant = '', token = ''] = match;
  let variant: string;
  try {
    variant = decodeURIComponent(encodedVariant);
  } catch {
    return notFound();
  }
  if (!isUrlVariant(variant)) return notFound();
  const now = new Date();
  const grant = urls.check(uuid, variant, token, now);
  if (!grant.ok) return notFound();
  // a variant whose rendering failed or is still pending has no bytes: it is missing, like one never made.
  // One statement: the instance, its name and its readable copies (the size the copies are checked against is read
  // with them)
  const instance = await db.fileInstance.findFirst({
    where: { fileUuid: uuid, variantName: variant, processingStatus: 'completed', file: { status: { not: 'trashed' } } },
    include: {
      file: { select: { originalFileName: true } },
      locations: { where: READABLE_COPY, include: { bucket: true }, orderBy: COPY_ORDER },
    },
    relationLoadStrategy: 'join',
  });
  if (!instance) return notFound();

  const size = Number(instance.size);
  const etag = `"${instance.checksum}"`;
  const headers = new Headers({
    etag,
    'accept-ranges': 'bytes',
    'cache-control': fileCacheControl(variant, grant.expiresAt, now),
    'content-type': instance.mimeType,
    'content-disposition': contentDisposition(variantFileName(instance.file.originalFileName, variant, instance.ext), 'inline'),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
  });
  // RFC 9110 §13.2.2: If-Match first, then If-None-Match
  if (!ifMatchHolds(request.headers.get('if-match'), etag)) return new Response(null, { status: 412, headers });
  if (etagMatches(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });

  const range = decideRange(ifRangeHolds(request.headers.get('if-range'), etag) ? request.headers.get('range') : null, size);
  if (range.kind === 'unsatisfiable') {
    headers.set('content-range', `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }

  const first = files.readOrder(instance.locations)[0];
  // a presigned URL is signed for GET: a HEAD sent there would be refused, so HEAD is answered here
  if (request.method === 'GET' && first?.bucket.accessType === 'signed' && first.bucket.provider !== 'local') {
    const seconds = presignedLifetime(grant.expiresAt, now);
    const location = await presignedUrl(buckets, first, instance, seconds).catch((error: unknown) => {
      files.noteOutage(first.bucketUuid);
      log.warn({ err: error, bucket: first.bucketUuid }, 'copy not presignable; served through the server');
      return null;
    });
    if (location) return new Response(null, { status: 302, headers: { location, 'cache-control': 'no-store' } });
  }

  let opened: Awaited<ReturnType<FileService['open']>>;
  try {
    opened = await files.openCopy(instance.locations, size, range.kind === 'partial' ? { start: range.start, end: range.end } : undefined);
  } catch (error) {
    // no copy is left to read (every one missing or damaged): the bytes are gone, not late
    const lost = error instanceof NotFoundError;
    log.warn({ err: error, fileUuid: uuid, variant }, lost ? 'no copy left to read' : 'no readable copy');
    return lost ? notFound() : unavailable();
  }
  const length = range.kind === 'partial' ? range.end - range.start + 1 : size;
  headers.set('content-length', String(length));
  if (range.kind === 'partial') headers.set('content-range', `bytes ${range.start}-${range.end}/${size}`);
  if (request.method === 'HEAD') {
    opened.stream.destroy();
    return new Response(null, { status: range.kind === 'partial' ? 206 : 200, headers });
  }
  return new Response(responseBody(opened.stream, request.signal), { status: range.kind === 'partial' ? 206 : 200, headers });
}

/**
 * A direct URL to a copy in a `signed` S3 bucket, valid for `seconds`, or null when that copy does not answer, is missing or
 * has another size: the read then goes through the server, which fails over to the next copy (a redirect to a dead
 * host cannot).
 */
async function presignedUrl(
  buckets: BucketService,
  location: { bucket: Bucket; path: string },
  instance: { mimeType: string; variantName: string; ext: string; size: bigint; file: { originalFileName: string } },
  seconds: number,
): Promise<string | null> {
  const driver = buckets.driverFor(location.bucket);
  if (!driver.signedUrl) return null;
  // a copy of another size is damaged: the read goes through the server, which marks it and fails over
  const stat = await driver.stat(location.path as StorageKey);
  if (stat?.size !== Number(instance.size)) return null;
  return driver.signedUrl(location.path as StorageKey, {
    expiresInSeconds: seconds,
    disposition: 'inline',
    fileName: variantFileName(instance.file.originalFileName, instance.variantName, instance.ext),
    contentType: instance.mimeType,
  });
}
