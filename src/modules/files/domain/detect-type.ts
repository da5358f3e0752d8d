import { fileTypeFromBuffer } from 'file-type';
import { Readable } from 'node:stream';

/** Bytes looked at: enough for file-type's signatures, including the first entries of zip-based office files. */
export const DEFAULT_SAMPLE_BYTES = 64 * 1024;

export type DetectedType = Readonly<{ mime: string; ext: string }>;

/** The type its magic numbers say `sample` (the first bytes of a file) is, or null when they say nothing. */
export async function detectTypeOfBytes(sample: Uint8Array): Promise<DetectedType | null> {
  if (sample.length === 0) return null;
  try {
    const found = await fileTypeFromBuffer(sample);
    return found ? { mime: found.mime, ext: found.ext } : null;
  } catch {
    // a truncated or odd sample is "unknown", never a failed upload
    return null;
  }
}

/**
 * Peeks at the first `sampleBytes` of `source` and detects their type, without losing any byte: the returned
 * `stream` yields the whole content, sample included. Only the sample is held in memory. Errors of `source` come
 * out of the returned promise (while sampling) or of `stream` (after); destroying `stream` destroys `source`.
 */
export async function detectType(
  source: Readable,
  options: { sampleBytes?: number } = {},
): Promise<{ type: DetectedType | null; stream: Readable }> {
  const sampleBytes = Math.max(1, options.sampleBytes ?? DEFAULT_SAMPLE_BYTES);
  const iterator: AsyncIterator<Buffer> = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < sampleBytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    head.push(chunk);
    headLength += chunk.length;
  }
  const sample = Buffer.concat(head, headLength);
  const type = await detectTypeOfBytes(sample.subarray(0, sampleBytes));

  async function* replay(): AsyncGenerator<Buffer> {
    if (sample.length > 0) yield sample;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const stream = Readable.from(replay(), { objectMode: false });
  // a consumer that gives up before reading must still release the source
  stream.once('close', () => {
    if (!source.destroyed && !source.readableEnded) source.destroy();
  });
  return { type, stream };
}
