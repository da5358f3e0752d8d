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

/** Control bytes that text does not hold (all below 0x20 but tab, line feed, form feed, carriage return, escape). */
const BINARY_CONTROL = /[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]/;

/**
 * Whether `sample` reads as text: no NUL byte, and either valid UTF-8 (a sequence cut off at its end is fine) or, for
 * single-byte encodings such as Latin-1, no control byte that text does not hold.
 */
export function looksLikeText(sample: Uint8Array): boolean {
  if (sample.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return true;
  } catch {
    return !BINARY_CONTROL.test(Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength).toString('latin1'));
  }
}

/**
 * Reads the first `sampleBytes` of `source` and detects their type, without losing any byte: the returned `stream`
 * yields the whole content, sample included (the sample is put back with `unshift`, so it is `source` itself unless
 * the source ended within the sample). Only the sample is held in memory. Errors of `source` come out of the returned
 * promise (while sampling) or of `stream` (after); destroying `stream` destroys `source`.
 */
export async function detectType(
  source: Readable,
  options: { sampleBytes?: number } = {},
): Promise<{ type: DetectedType | null; text: boolean; stream: Readable }> {
  const sampleBytes = Math.max(1, options.sampleBytes ?? DEFAULT_SAMPLE_BYTES);
  const head: Buffer[] = [];
  let headLength = 0;
  const joined = () => (head.length === 1 ? head[0]! : Buffer.concat(head, headLength));
  const taken = await new Promise<{ sample: Buffer; ended: boolean }>((resolve, reject) => {
    const stop = () => {
      source.off('readable', onReadable);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onEnd = () => {
      stop();
      resolve({ sample: joined(), ended: true });
    };
    const onClose = () => onError(new Error('the stream closed before it ended'));
    const onReadable = () => {
      let chunk: Buffer | string | null;
      while (headLength < sampleBytes && (chunk = source.read()) !== null) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        head.push(bytes);
        headLength += bytes.length;
      }
      if (headLength >= sampleBytes) {
        stop();
        // back in front at once: a source whose last bytes were just read would otherwise end before the caller reads
        const sample = joined();
        source.unshift(sample);
        resolve({ sample, ended: false });
      }
    };
    if (source.errored) return reject(source.errored);
    // from now until the caller consumes the stream an error must not go unhandled; consumers still see it (the
    // stream is then errored)
    source.on('error', () => undefined);
    source.on('error', onError);
    source.on('end', onEnd);
    source.on('close', onClose);
    source.on('readable', onReadable);
  });
  const sample = taken.sample.subarray(0, sampleBytes);
  const type = await detectTypeOfBytes(sample);
  const text = type === null && looksLikeText(sample);
  if (!taken.ended) return { type, text, stream: source };
  return { type, text, stream: Readable.from(taken.sample.length > 0 ? [taken.sample] : [], { objectMode: false }) };
}
