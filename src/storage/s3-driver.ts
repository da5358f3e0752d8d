import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { contentDisposition } from '../modules/files/domain/file-name.js';
import {
  assertByteRange,
  assertPutMeta,
  ByteCounter,
  type ByteRange,
  type HealthResult,
  type ListedObject,
  type ObjectStat,
  type PutMeta,
  type SignedUrlOptions,
  type StorageDriver,
} from './storage-driver.js';
import {
  BucketConfigError,
  StorageError,
  StorageObjectNotFoundError,
  StorageRangeNotSatisfiableError,
  StorageSizeMismatchError,
  StorageUnavailableError,
} from './storage-errors.js';
import { assertStorageKey, InvalidStorageKeyError, keyProblem, MAX_KEY_BYTES, type StorageKey } from './storage-key.js';

export type S3Provider = 's3' | 'b2' | 'r2' | 'tigris';

const MiB = 1024 * 1024;
/** The longest a health check waits for the bucket's answer. */
export const HEALTH_CHECK_MS = 5_000;

/** Transfer tuning; defaults keep memory per upload near (queueSize + 1) × partSize. */
export type S3Tuning = Readonly<{
  partSizeBytes?: number; // default 8 MiB (S3's minimum part is 5 MiB)
  queueSize?: number; // parts in flight, default 2
  maxAttempts?: number; // SDK attempts per request, default 3
  connectionTimeoutMs?: number; // default 5 s
  requestTimeoutMs?: number; // socket idle timeout (no byte either way), default 30 s, per try
}>;

export type S3DriverOptions = Readonly<
  {
    provider: S3Provider;
    bucket: string;
    /** `https://host[:port]` (scheme optional, https assumed); none = AWS for the region. */
    endpoint?: string | null;
    region?: string | null;
    /**
     * `endpoint/bucket/key` instead of `bucket.endpoint/key` (the bucket row's `force_path_style`). Default: true
     * when an endpoint is set (MinIO, B2, R2, test servers), else virtual-hosted style (AWS).
     */
    forcePathStyle?: boolean;
    credentials: Readonly<{ accessKeyId: string; secretAccessKey: string }>;
    /** Prepended to every key (the bucket's `path_prefix`). */
    prefix?: StorageKey | null;
  } & S3Tuning
>;

const MAX_PRESIGN_SECONDS = 7 * 24 * 3600; // SigV4 limit

/** The endpoint URL to use, or undefined for AWS's own. */
export function s3Endpoint(endpoint: string | null | undefined): string | undefined {
  const trimmed = endpoint?.trim();
  if (!trimmed) return undefined;
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw new BucketConfigError(`invalid endpoint ${JSON.stringify(endpoint)}`);
  }
  return url.replace(/\/+$/, '');
}

/** The region to sign for: as configured, else R2's `auto`, B2's from its endpoint host, else us-east-1. */
export function s3Region(provider: S3Provider, region: string | null | undefined, endpoint: string | undefined): string {
  if (region?.trim()) return region.trim();
  if (provider === 'r2') return 'auto';
  if (provider === 'tigris') return 'auto';
  const b2 = endpoint ? /s3\.([a-z0-9-]+)\.backblazeb2\.com/i.exec(endpoint) : null;
  if (provider === 'b2' && b2?.[1]) return b2[1];
  return 'us-east-1';
}

type SdkError = Error & { code?: string; Code?: string; $metadata?: { httpStatusCode?: number } };

/** Typed error for an SDK failure: transport failures, 5xx, throttling and refused credentials are outages. */
export function mapS3Error(error: unknown, key?: string): unknown {
  if (error instanceof StorageError || error instanceof InvalidStorageKeyError || !(error instanceof Error)) return error;
  const e = error as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name;
  if (name === 'NoSuchBucket') return new StorageUnavailableError('bucket does not exist', { cause: error });
  if (status === undefined) {
    const detail = e.code ?? (name !== 'Error' ? name : undefined) ?? e.message;
    return new StorageUnavailableError(`cannot reach endpoint (${detail})`, { cause: error });
  }
  if (key !== undefined && (name === 'NoSuchKey' || name === 'NotFound' || status === 404)) {
    return new StorageObjectNotFoundError(key);
  }
  if (name === 'InvalidRange' || status === 416) return new StorageRangeNotSatisfiableError(null);
  if (status >= 500 || status === 429 || status === 401 || status === 403) {
    return new StorageUnavailableError(`${name} (HTTP ${status})`, { cause: error });
  }
  return error;
}

/** `Content-Range: bytes a-b/size` → the served span (inclusive), or null when absent or unreadable. */
export function parseContentRange(header: string | undefined): { start: number; end: number } | null {
  const match = header ? /^bytes (\d+)-(\d+)\/(?:\d+|\*)$/.exec(header.trim()) : null;
  return match ? { start: Number(match[1]), end: Number(match[2]) } : null;
}

/** The whole object's size from a `Content-Range` header (`bytes a-b/size`); undefined when not given. */
export function objectSize(header: string | undefined): number | undefined {
  const match = header ? /\/(\d+)$/.exec(header.trim()) : null;
  return match ? Number(match[1]) : undefined;
}

/** Drops the first `skip` bytes, passes `limit` bytes, then ends (and releases the source). */
class SliceStream extends Transform {
  constructor(
    private skip: number,
    private remaining: number,
    private readonly source: Readable,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.remaining <= 0) return callback();
    let part = chunk;
    if (this.skip > 0) {
      if (part.length <= this.skip) {
        this.skip -= part.length;
        return callback();
      }
      part = part.subarray(this.skip);
      this.skip = 0;
    }
    if (part.length > this.remaining) part = part.subarray(0, this.remaining);
    this.remaining -= part.length;
    this.push(part);
    if (this.remaining <= 0) {
      this.push(null);
      this.source.unpipe(this);
      this.source.destroy();
      callback();
      this.end(); // so the stream also finishes and closes
      return;
    }
    callback();
  }
}

/**
 * The exact bytes of `range` out of a GET body, whatever the server sent: HTTP lets a server ignore Range (200 with
 * the whole object), and some S3 look-alikes serve more than asked (s3rver answers `bytes=0-0` with everything).
 */
function exactRange(body: Readable, range: ByteRange, contentRange: string | undefined): Readable {
  const served = parseContentRange(contentRange) ?? { start: 0, end: Number.POSITIVE_INFINITY };
  if (served.start > range.start) {
    body.destroy();
    throw new StorageUnavailableError(`server answered bytes from ${served.start} when asked from ${range.start}`);
  }
  const want = range.end === undefined ? Number.POSITIVE_INFINITY : range.end;
  if (served.start === range.start && served.end <= want) return body;
  const slice = new SliceStream(range.start - served.start, want - range.start + 1, body);
  body.on('error', (error) => slice.destroy(error));
  slice.on('close', () => body.destroy());
  return body.pipe(slice);
}

/**
 * An object's bytes as they arrive, ended with `StorageUnavailableError` when the server sends nothing for `ms` while
 * the reader is waiting for it (a server that hangs mid-body). While the reader holds the body back (a client
 * downloading slowly, a paused video) the connection is quiet through no fault of the server: no time is counted.
 */
function watchedBody(body: Readable, ms: number): Readable {
  let timer: NodeJS.Timeout | undefined;
  let done = false; // the body has ended or gone: nothing more is waited for
  const stop = () => clearTimeout(timer);
  const arm = () => {
    stop();
    if (!done) timer = setTimeout(() => body.destroy(new StorageUnavailableError(`no data for ${ms} ms`)), ms);
  };
  const finish = () => {
    done = true;
    stop();
  };
  const watch = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      arm(); // waiting for the next chunk
      callback(null, chunk);
    },
    flush(callback) {
      finish();
      callback();
    },
  });
  // the pipe pauses the body while the reader is behind, and lets it flow again once the watch has drained
  body.on('pause', stop);
  body.on('resume', arm);
  watch.on('drain', arm);
  body.once('end', finish);
  body.once('close', finish);
  watch.once('close', finish);
  pipeline(body, watch, finish);
  return watch;
}

/** One bucket of any S3-compatible service (AWS S3, Backblaze B2, Cloudflare R2, MinIO, Tigris). */
export class S3Driver implements StorageDriver {
  readonly provider: S3Provider;
  readonly client: S3Client;
  /** The same service without the idle timeout, for reads: they time themselves (`untilAnswered`, `watchedBody`). */
  private readonly reader: S3Client;
  private readonly bucket: string;
  private readonly prefix: StorageKey | null;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly idleMs: number;

  constructor(options: S3DriverOptions) {
    if (!options.bucket) throw new BucketConfigError('bucket name is required');
    if (!options.credentials.accessKeyId || !options.credentials.secretAccessKey) {
      throw new BucketConfigError('access key id and secret access key are required');
    }
    if (options.prefix != null) assertStorageKey(options.prefix);
    const endpoint = s3Endpoint(options.endpoint);
    this.provider = options.provider;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? null;
    this.partSize = Math.max(5 * MiB, options.partSizeBytes ?? 8 * MiB);
    this.queueSize = Math.max(1, options.queueSize ?? 2);
    this.idleMs = options.requestTimeoutMs ?? 30_000;
    const config = {
      region: s3Region(options.provider, options.region, endpoint),
      endpoint,
      forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
      credentials: { ...options.credentials },
      maxAttempts: options.maxAttempts ?? 3,
      // S3-compatible services (B2, R2, MinIO) differ in support for the SDK's default flexible checksums
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    } as const;
    const connectionTimeout = options.connectionTimeoutMs ?? 5_000;
    this.client = new S3Client({
      ...config,
      // idle: nothing sent or received for this long ends the request with an error (a server that takes connections
      // and never answers). The handler's `requestTimeout` only logs unless told to throw, and bounds a whole transfer.
      requestHandler: { connectionTimeout, socketTimeout: this.idleMs },
    });
    // a body read slowly leaves the connection quiet for as long as the reader likes: reads keep their own time
    this.reader = new S3Client({ ...config, requestHandler: { connectionTimeout, socketTimeout: 0 } });
  }

  /** Sends a read, which must be answered (headers) within the idle time, tries included. */
  private async untilAnswered(command: GetObjectCommand) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.idleMs);
    try {
      return await this.reader.send(command, { abortSignal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) throw new StorageUnavailableError(`no answer within ${this.idleMs} ms`, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The object key in the bucket; refuses (before any I/O) anything that is not a clean key. */
  objectKey(key: StorageKey): string {
    assertStorageKey(key);
    const full = this.prefix ? `${this.prefix}/${key}` : key;
    if (Buffer.byteLength(full, 'utf8') > MAX_KEY_BYTES) throw new InvalidStorageKeyError('too-long');
    return full;
  }

  async put(key: StorageKey, body: Readable, meta: PutMeta): Promise<{ size: number }> {
    let objectKey: string;
    try {
      assertPutMeta(meta);
      objectKey = this.objectKey(key);
    } catch (error) {
      body.destroy();
      throw error;
    }
    // the caller's own stream error is passed on as it is; everything else the SDK throws is mapped
    let bodyError: unknown;
    body.once('error', (error) => (bodyError ??= error));
    const counter = new ByteCounter(meta.size);
    // the upload sees counter errors through its iterator; this listener only keeps a late one from crashing the process
    counter.on('error', () => undefined);
    body.on('error', (error) => counter.destroy(error));
    body.pipe(counter);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: objectKey, Body: counter, ContentType: meta.contentType },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
      return { size: counter.bytes };
    } catch (error) {
      body.unpipe(counter);
      body.destroy();
      counter.destroy();
      throw bodyError ?? mapS3Error(error);
    }
  }

  async get(key: StorageKey, range?: ByteRange, expectedSize?: number): Promise<Readable> {
    assertByteRange(range);
    const objectKey = this.objectKey(key);
    try {
      const result = await this.untilAnswered(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined,
        }),
      );
      if (!(result.Body instanceof Readable)) throw new Error('S3 response body is not a Node stream');
      // a server that ignores Range answers the whole object (no Content-Range): its length is the object's size
      const size = result.ContentRange ? objectSize(result.ContentRange) : result.ContentLength;
      if (expectedSize !== undefined && size !== undefined && size !== expectedSize) {
        result.Body.destroy();
        throw new StorageSizeMismatchError(expectedSize, size);
      }
      const body = watchedBody(result.Body, this.idleMs);
      return range ? exactRange(body, range, result.ContentRange) : body;
    } catch (error) {
      throw mapS3Error(error, key);
    }
  }

  async stat(key: StorageKey): Promise<ObjectStat | null> {
    const objectKey = this.objectKey(key);
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return { size: result.ContentLength ?? 0, modifiedAt: result.LastModified ?? new Date(0) };
    } catch (error) {
      const mapped = mapS3Error(error, key);
      if (mapped instanceof StorageObjectNotFoundError) return null;
      throw mapped;
    }
  }

  async delete(key: StorageKey): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (error) {
      const mapped = mapS3Error(error, key);
      if (mapped instanceof StorageObjectNotFoundError) return;
      throw mapped;
    }
  }

  /** Server-side copy then delete (single-request copy: objects up to 5 GiB). */
  async move(from: StorageKey, to: StorageKey): Promise<void> {
    const source = this.objectKey(from);
    const target = this.objectKey(to);
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: target,
          CopySource: `${this.bucket}/${source.split('/').map(encodeURIComponent).join('/')}`,
        }),
      );
    } catch (error) {
      throw mapS3Error(error, from);
    }
    await this.delete(from);
  }

  /** ListObjectsV2 page by page (1,000 keys each) under the bucket's path prefix. */
  async *list(prefix: StorageKey | null): AsyncIterable<ListedObject> {
    const base = this.prefix ? `${this.prefix}/` : '';
    const pages = paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: prefix ? `${base}${prefix}/` : base },
    );
    try {
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          const key = object.Key?.slice(base.length) ?? '';
          if (keyProblem(key)) continue; // an object this driver never wrote
          yield { key: key as StorageKey, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
        }
      }
    } catch (error) {
      throw mapS3Error(error, prefix ?? '');
    }
  }

  /** A presigned GET URL that makes the service answer with our Content-Disposition (and type, when given). */
  async signedUrl(key: StorageKey, options: SignedUrlOptions): Promise<string> {
    const objectKey = this.objectKey(key);
    const expiresIn = options.expiresInSeconds;
    if (!Number.isSafeInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`expiresInSeconds must be 1..${MAX_PRESIGN_SECONDS}`);
    }
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: objectKey,
      ResponseContentDisposition: contentDisposition(options.fileName, options.disposition),
      ResponseContentType: options.contentType,
    });
    return getSignedUrl(this.client, command, { expiresIn });
  }

  async healthCheck(): Promise<HealthResult> {
    try {
      // bounded as a whole (retries included): a server that takes connections but never answers is reported, not waited on
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: AbortSignal.timeout(HEALTH_CHECK_MS) });
      return { ok: true };
    } catch (error) {
      if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') {
        return { ok: false, reason: `no answer within ${HEALTH_CHECK_MS / 1000} s` };
      }
      const mapped = mapS3Error(error);
      if (mapped instanceof StorageUnavailableError) return { ok: false, reason: mapped.reason };
      const e = error as SdkError;
      const status = e.$metadata?.httpStatusCode;
      return { ok: false, reason: status === 404 ? 'bucket does not exist' : `${e.name}${status ? ` (HTTP ${status})` : ''}` };
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
    this.reader.destroy();
  }
}

export function createS3Driver(options: S3DriverOptions): S3Driver {
  return new S3Driver(options);
}
