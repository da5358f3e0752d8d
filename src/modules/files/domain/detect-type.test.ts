import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { detectType, detectTypeOfBytes, looksLikeText } from './detect-type.js';

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  pngChunk('IHDR', ihdr),
  pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x63, 0xf8, 0x0f, 0x00, 0x01, 0x01, 0x01, 0x00])),
  pngChunk('IEND', Buffer.alloc(0)),
]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), Buffer.alloc(64)]);
const GIF = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(32)]);
const PDF = Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog >>\nendobj\n');
const GZIP = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2'), Buffer.alloc(64)]);

function zip(name: string, content: Buffer): Buffer {
  const data = deflateRawSync(content);
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(8, 8);
  header.writeUInt32LE(crc32(content), 14);
  header.writeUInt32LE(data.length, 18);
  header.writeUInt32LE(content.length, 22);
  header.writeUInt16LE(Buffer.byteLength(name), 26);
  return Buffer.concat([header, Buffer.from(name), data]);
}
const ZIP = zip('hello.txt', Buffer.from('hello'));

describe('detectTypeOfBytes', () => {
  test.each<[string, Buffer, string | null]>([
    ['png', PNG, 'image/png'],
    ['jpeg', JPEG, 'image/jpeg'],
    ['gif', GIF, 'image/gif'],
    ['pdf', PDF, 'application/pdf'],
    ['gzip', GZIP, 'application/gzip'],
    ['mp4', MP4, 'video/mp4'],
    ['zip', ZIP, 'application/zip'],
    ['plain text', Buffer.from('just some text, no magic number\n'), null],
    ['html claims nothing', Buffer.from('<!doctype html><script>alert(1)</script>'), null],
    ['empty', Buffer.alloc(0), null],
    ['truncated png signature', PNG.subarray(0, 4), null],
    ['random bytes', createHash('sha512').update('seed').digest(), null],
  ])('%s → %s', async (_name, bytes, mime) => {
    expect((await detectTypeOfBytes(bytes))?.mime ?? null).toBe(mime);
  });
});

async function collect(stream: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of stream) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

/** A stream delivering `data` in chunks of `size` bytes (1 = worst case for sniffing). */
const chunked = (data: Buffer, size: number) =>
  Readable.from(Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size)));

describe('looksLikeText', () => {
  const euro = Buffer.from('price: 5 €', 'utf8');
  test.each<[string, Buffer, boolean]>([
    ['ASCII', Buffer.from('a,b,c\n1,2,3\n'), true],
    ['UTF-8 with multi-byte characters', Buffer.from('naïve café 日本語', 'utf8'), true],
    ['a multi-byte character cut off at the end of the sample', euro.subarray(0, euro.length - 1), true],
    ['empty', Buffer.alloc(0), true],
    ['a NUL byte', Buffer.from('abc\u0000def'), false],
    ['Latin-1 text (not UTF-8)', Buffer.from('caf\u00e9;cr\u00e8me\r\n', 'latin1'), true],
    ['not UTF-8, with control bytes text does not hold', Buffer.from([0x61, 0xff, 0x02, 0x62]), false],
    ['a lone continuation byte and a control byte', Buffer.from([0x61, 0x80, 0x07]), false],
  ])('%s → %s', (_label, sample, expected) => {
    expect(looksLikeText(sample)).toBe(expected);
  });

  test('detectType reports text only for bytes with no magic numbers', async () => {
    expect((await detectType(Readable.from([Buffer.from('hello\n')]))).text).toBe(true);
    expect((await detectType(Readable.from([Buffer.from([0, 1, 2, 3, 255])]))).text).toBe(false);
  });
});

describe('detectType (peek without consuming)', () => {
  const big = Buffer.concat([PNG, Buffer.alloc(300_000, 0xab)]);
  test.each<[string, Buffer, number, number | undefined, string | null]>([
    ['png in one chunk', PNG, 1 << 20, undefined, 'image/png'],
    ['png one byte at a time', PNG, 1, undefined, 'image/png'],
    ['png followed by a long tail', big, 16_384, undefined, 'image/png'],
    ['pdf in 7-byte chunks', PDF, 7, undefined, 'application/pdf'],
    ['tiny sample size still yields everything', big, 1000, 16, 'image/png'],
    ['text', Buffer.from('hello\n'.repeat(50_000)), 4096, undefined, null],
    ['empty stream', Buffer.alloc(0), 1, undefined, null],
  ])('%s', async (_name, data, chunkSize, sampleBytes, mime) => {
    const { type, stream } = await detectType(chunked(data, chunkSize), { sampleBytes });
    expect(type?.mime ?? null).toBe(mime);
    expect((await collect(stream)).equals(data)).toBe(true);
  });

  test('a source that delivers its last bytes and its end at once keeps every byte', async () => {
    const data = Buffer.concat([PNG, Buffer.alloc(300_000, 0xcd)]);
    const source = new Readable({
      read() {
        this.push(data);
        this.push(null);
      },
    });
    const { type, stream } = await detectType(source, { sampleBytes: 1000 });
    expect(type?.mime).toBe('image/png');
    expect((await collect(stream)).equals(data)).toBe(true);
  });

  test('a source error while sampling rejects', async () => {
    const broken = new Readable({ read() { this.destroy(new Error('aborted upload')); } });
    await expect(detectType(broken)).rejects.toThrow('aborted upload');
  });

  test('a source error after sampling errors the returned stream', async () => {
    let sent = false;
    const source = new Readable({
      read() {
        if (!sent) {
          sent = true;
          this.push(Buffer.concat([PNG, Buffer.alloc(100_000)]));
        } else this.destroy(new Error('connection reset'));
      },
    });
    const { type, stream } = await detectType(source, { sampleBytes: 100 });
    expect(type?.mime).toBe('image/png');
    await expect(collect(stream)).rejects.toThrow('connection reset');
  });

  test('destroying the returned stream releases the source', async () => {
    const source = new Readable({ read() { this.push(Buffer.alloc(1024)); } });
    const { stream } = await detectType(source, { sampleBytes: 10 });
    stream.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });
});
