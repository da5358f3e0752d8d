import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { StorageSizeMismatchError } from './storage-errors.js';
import type { StorageKey } from './storage-key.js';

export type StorageProvider = 'local' | 's3' | 'b2' | 'r2' | 'tigris';

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`; no `end` = to the end of the object. */
export type ByteRange = Readonly<{ start: number; end?: number }>;

export type PutMeta = Readonly<{ contentType: string; size?: number }>;
export type ObjectStat = Readonly<{ size: number; modifiedAt: Date }>;
export type ListedObject = Readonly<{ key: StorageKey; size: number; modifiedAt: Date }>;
export type HealthResult = Readonly<{ ok: true }> | Readonly<{ ok: false; reason: string }>;
export type SignedUrlOptions = Readonly<{
  expiresInSeconds: number;
  disposition: 'inline' | 'attachment';
  fileName: string;
  contentType?: string;
}>;

/**
 * One storage backend. Keys are already normalised (`StorageKey`); drivers re-check them before any I/O.
 * Failures are `StorageError`s: `StorageUnavailableError` (backend down), `StorageObjectNotFoundError`,
 * `StorageRangeNotSatisfiableError`, `StorageSizeMismatchError`; a bad key is an `InvalidStorageKeyError`.
 */
export interface StorageDriver {
  readonly provider: StorageProvider;
  /**
   * Streams `body` to `key`, replacing any object there. Takes ownership of `body` (destroyed on failure). The object
   * appears only when every byte was written: an erroring body or a size other than `meta.size` leaves nothing.
   */
  put(key: StorageKey, body: Readable, meta: PutMeta): Promise<{ size: number }>;
  /**
   * The object's bytes, or the inclusive `range` of them (an `end` past the object is clamped). With `expectedSize`,
   * an object of another size (a truncated or replaced copy) is refused with `StorageSizeMismatchError` before any
   * byte is read.
   */
  get(key: StorageKey, range?: ByteRange, expectedSize?: number): Promise<Readable>;
  /** null when the object is missing; a backend outage throws. */
  stat(key: StorageKey): Promise<ObjectStat | null>;
  /** Removes the object; removing a missing object succeeds. */
  delete(key: StorageKey): Promise<void>;
  /**
   * Renames `from` to `to` within the backend (replacing `to`): a rename on disk, a server-side copy + delete on S3.
   * Used to promote a fully written temporary object to its content-addressed key.
   */
  move(from: StorageKey, to: StorageKey): Promise<void>;
  /**
   * Every object whose key starts with the segments of `prefix` (`null`: every object), in no set order, read as it is
   * iterated (a bucket of millions is never held in memory). An outage throws.
   */
  list(prefix: StorageKey | null): AsyncIterable<ListedObject>;
  /**
   * Removes what unfinished writes under `prefix` left before `before` and `list` does not show (a local driver's temp
   * files); returns how many went. Absent where the backend keeps no such leftovers in the bucket.
   */
  removeStaleTemporaries?(prefix: StorageKey | null, before: Date): Promise<number>;
  /** A short-lived direct URL (S3-compatible drivers only). */
  signedUrl?(key: StorageKey, options: SignedUrlOptions): Promise<string>;
  /** Whether the backend answers and is usable; never throws. */
  healthCheck(): Promise<HealthResult>;
  /** Releases sockets / handles; the driver is unusable afterwards. */
  close(): Promise<void>;
}

/** Throws a RangeError for a malformed range (negative, fractional, end before start): that is a caller bug. */
export function assertByteRange(range: ByteRange | undefined): void {
  if (range === undefined) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`invalid range start ${start}`);
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) throw new RangeError(`invalid range end ${end}`);
}

export function assertPutMeta(meta: PutMeta): void {
  if (meta.size !== undefined && (!Number.isSafeInteger(meta.size) || meta.size < 0)) {
    throw new RangeError(`invalid size ${meta.size}`);
  }
}

/**
 * Passes bytes through while counting them; errors with `StorageSizeMismatchError` as soon as more than
 * `expected` bytes arrive, or at the end when fewer did, so a wrong-sized body never completes a write.
 */
export class ByteCounter extends Transform {
  bytes = 0;
  constructor(private readonly expected?: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expected !== undefined && this.bytes > this.expected) {
      callback(new StorageSizeMismatchError(this.expected, this.bytes));
      return;
    }
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    if (this.expected !== undefined && this.bytes !== this.expected) {
      callback(new StorageSizeMismatchError(this.expected, this.bytes));
      return;
    }
    callback();
  }
}
