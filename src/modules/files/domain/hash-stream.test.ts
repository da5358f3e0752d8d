import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, test } from 'vitest';
import { FileTooLargeError, hashContent, HashingStream } from './hash-stream.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const chunks = (...sizes: number[]) => sizes.map((n, i) => Buffer.alloc(n, i + 1));

async function collect(stream: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of stream) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

describe('HashingStream', () => {
  test.each<[string, Buffer[], number | undefined]>([
    ['empty', [], undefined],
    ['one chunk', chunks(10), undefined],
    ['many chunks', chunks(1, 1000, 65536, 3), undefined],
    ['exactly at the limit', chunks(5, 5), 10],
    ['limit 0 and nothing sent', [], 0],
  ])('%s: passes every byte through and reports sha256 and size', async (_name, input, maxBytes) => {
    const hasher = new HashingStream({ maxBytes });
    const output = collect(Readable.from(input).pipe(hasher));
    const all = Buffer.concat(input);
    expect(await output).toEqual(all);
    expect(hasher.digest).toEqual({ sha256: sha(all), size: all.length });
  });

  test.each<[string, Buffer[], number, number]>([
    ['one byte over in the last chunk', chunks(5, 6), 10, 5],
    ['over in the first chunk', chunks(11), 10, 0],
    ['limit 0', chunks(1), 0, 0],
  ])('%s: errors with FileTooLargeError, without passing the offending chunk', async (_name, input, maxBytes, passed) => {
    const hasher = new HashingStream({ maxBytes });
    const seen: Buffer[] = [];
    hasher.on('data', (c: Buffer) => seen.push(c));
    const error = await pipeline(Readable.from(input), hasher).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect((error as FileTooLargeError).code).toBe('FILE_TOO_LARGE');
    expect((error as FileTooLargeError).maxBytes).toBe(maxBytes);
    expect(Buffer.concat(seen).length).toBe(passed);
    expect(hasher.digest).toBeNull();
  });

  test('stops an endless source as soon as the limit is passed', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 1024;
        this.push(Buffer.alloc(1024));
      },
    });
    const hasher = new HashingStream({ maxBytes: 1024 * 1024 });
    await expect(pipeline(endless, hasher, new PassThrough().resume())).rejects.toBeInstanceOf(FileTooLargeError);
    expect(produced).toBeLessThan(2 * 1024 * 1024);
    expect(endless.destroyed).toBe(true);
  });

  test('message names the limit', () => {
    expect(new FileTooLargeError(500 * 1024 * 1024).message).toBe('The file is larger than the limit of 500 MiB');
    expect(new FileTooLargeError(1000).message).toBe('The file is larger than the limit of 1000 bytes');
  });

  test('a negative limit is a programming error', () => {
    expect(() => new HashingStream({ maxBytes: -1 })).toThrow(RangeError);
  });
});

describe('hashContent', () => {
  test('hashes a whole stream', async () => {
    const data = Buffer.from('hello world');
    expect(await hashContent(Readable.from([data]))).toEqual({ sha256: sha(data), size: 11 });
  });
  test('known vector: empty input', async () => {
    expect(await hashContent(Readable.from([]))).toEqual({
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      size: 0,
    });
  });
  test('honours the limit', async () => {
    await expect(hashContent(Readable.from([Buffer.alloc(3)]), { maxBytes: 2 })).rejects.toBeInstanceOf(FileTooLargeError);
  });
  test('passes on a source error', async () => {
    const broken = new Readable({ read() { this.destroy(new Error('client went away')); } });
    await expect(hashContent(broken)).rejects.toThrow('client went away');
  });
});
