import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../../graphql/errors.js';

const MiB = 1024 * 1024;

/** The upload is larger than allowed (setting `storage_max_upload_size_mb`). */
export class FileTooLargeError extends AppError {
  readonly code = 'FILE_TOO_LARGE';
  constructor(readonly maxBytes: number) {
    super(`The file is larger than the limit of ${formatLimit(maxBytes)}`);
    this.name = 'FileTooLargeError';
  }
}

function formatLimit(maxBytes: number): string {
  return maxBytes % MiB === 0 ? `${maxBytes / MiB} MiB` : `${maxBytes} bytes`;
}

export type ContentDigest = Readonly<{ sha256: string; size: number }>;

/**
 * Passes bytes through unchanged while computing their SHA-256 (lower-case hex) and count. With `maxBytes`, the
 * stream errors with `FileTooLargeError` on the chunk that passes the limit; that chunk is not passed on.
 */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private readonly maxBytes: number;
  private count = 0;
  private result: ContentDigest | null = null;

  constructor(options: { maxBytes?: number } = {}) {
    // a 1 MiB buffer on each side lets hashing run ahead of slower writers instead of waiting on every 64 KiB chunk
    super({ highWaterMark: MiB });
    const max = options.maxBytes ?? Number.POSITIVE_INFINITY;
    if (!(max >= 0)) throw new RangeError(`invalid maxBytes ${options.maxBytes}`);
    this.maxBytes = max;
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.count;
  }

  /** The digest, once every byte has gone through (null before). */
  get digest(): ContentDigest | null {
    return this.result;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.count + chunk.length > this.maxBytes) {
      this.count += chunk.length;
      callback(new FileTooLargeError(this.maxBytes));
      return;
    }
    this.count += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = { sha256: this.hash.digest('hex'), size: this.count };
    callback();
  }
}

export function createHashingStream(options: { maxBytes?: number } = {}): HashingStream {
  return new HashingStream(options);
}

/** Reads `stream` to the end and returns its SHA-256 and size (keeps nothing but the hash state). */
export async function hashContent(stream: Readable, options: { maxBytes?: number } = {}): Promise<ContentDigest> {
  const hasher = new HashingStream(options);
  await pipeline(stream, hasher, async (source: AsyncIterable<Buffer>) => {
    for await (const _chunk of source) {
      // drain
    }
  });
  return hasher.digest!;
}
