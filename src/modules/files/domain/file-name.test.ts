import { describe, expect, test } from 'vitest';
import { contentDisposition, sanitizeFileName, splitExtension, variantFileName } from './file-name.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('sanitizeFileName', () => {
  test.each<[string, string | null | undefined, string]>([
    ['plain', 'photo.jpg', 'photo.jpg'],
    ['unix path', '/home/me/photo.jpg', 'photo.jpg'],
    ['traversal', '../../etc/passwd', 'passwd'],
    ['windows path', 'C:\\Users\\me\\report.pdf', 'report.pdf'],
    ['windows traversal', '..\\..\\boot.ini', 'boot.ini'],
    ['only dots', '..', 'file'],
    ['dot', '.', 'file'],
    ['trailing separator', 'dir/', 'file'],
    ['empty', '', 'file'],
    ['whitespace only', '   \t ', 'file'],
    ['null', null, 'file'],
    ['undefined', undefined, 'file'],
    ['NUL truncation trick', 'image.png\u0000.exe', 'image.png.exe'],
    ['control chars', 'a\u0001b\nc\rd\u007fe\u009f.txt', 'abcde.txt'],
    ['bidi override (RLO)', 'invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['bidi isolates and marks', '\u2066a\u2069\u200Fb\u200E.txt', 'ab.txt'],
    ['zero-width and BOM', '\uFEFFa\u200Bb.txt', 'ab.txt'],
    ['soft hyphen', 'in\u00ADvoice.pdf', 'invoice.pdf'],
    ['line and paragraph separators', 'a\u2028b\u2029c.txt', 'abc.txt'],
    ['deprecated format characters', 'a\u206Ab\u206Fc.txt', 'abc.txt'],
    ['blank Hangul fillers', '\u3164\u115F\u1160\uFFA0a.txt', 'a.txt'],
    ['interlinear annotation marks', 'a\uFFF9b\uFFFAc\uFFFB.txt', 'abc.txt'],
    ['tag characters', 'a\u{E0041}\u{E007F}b.txt', 'ab.txt'],
    ['other supplementary characters kept', 'a\u{1F642}\u{E0100}.txt', 'a\u{1F642}\u{E0100}.txt'],
    ['NFC', 'cafe\u0301.txt', 'caf\u00e9.txt'],
    ['unicode kept', 'Отчёт 2024 — 文件 🙂.pdf', 'Отчёт 2024 — 文件 🙂.pdf'],
    ['surrounding spaces and trailing dots', '  notes.txt. . ', 'notes.txt'],
    ['leading dot kept', '.env', '.env'],
    ['lone surrogate removed', 'a\ud800b.txt', 'ab.txt'],
    ['percent kept literally', '100%25.txt', '100%25.txt'],
    ['quotes kept (escaped only in headers)', 'say "hi".txt', 'say "hi".txt'],
  ])('%s', (_name, raw, expected) => {
    expect(sanitizeFileName(raw)).toBe(expected);
  });

  test.each([
    ['ascii', `${'a'.repeat(300)}.jpeg`, '.jpeg'],
    ['multi-byte', `${'é'.repeat(200)}.pdf`, '.pdf'],
    ['emoji (4 bytes, not split)', `${'🙂'.repeat(100)}.png`, '.png'],
    ['combining marks (grapheme kept whole)', `${'e\u0301'.repeat(200)}.txt`, '.txt'],
  ])('long %s names are cut to 255 bytes keeping the extension', (_name, raw, ext) => {
    const out = sanitizeFileName(raw);
    expect(bytes(out)).toBeLessThanOrEqual(255);
    expect(bytes(out)).toBeGreaterThan(240);
    expect(out.endsWith(ext)).toBe(true);
    expect(out).toBe(out.normalize('NFC'));
    expect(out).not.toMatch(/[\ud800-\udfff](?![\udc00-\udfff])/u);
  });

  test('a very long extension is not kept at the expense of the name', () => {
    const out = sanitizeFileName(`name.${'x'.repeat(400)}`);
    expect(bytes(out)).toBe(255);
    expect(out.startsWith('name.')).toBe(true);
  });

  test('very long path with traversal', () => {
    expect(sanitizeFileName(`${'../'.repeat(10_000)}x.txt`)).toBe('x.txt');
  });

  test('idempotent', () => {
    for (const raw of ['../a\u202e.txt', `${'é'.repeat(300)}.pdf`, '  x. ', 'cafe\u0301']) {
      const once = sanitizeFileName(raw);
      expect(sanitizeFileName(once)).toBe(once);
    }
  });
});

describe('splitExtension', () => {
  test.each([
    ['a.txt', 'a', 'txt'],
    ['a.tar.gz', 'a.tar', 'gz'],
    ['.env', '.env', ''],
    ['noext', 'noext', ''],
    ['trailing.', 'trailing.', ''],
  ])('%s', (name, base, ext) => {
    expect(splitExtension(name)).toEqual({ base, ext });
  });
});

describe('contentDisposition', () => {
  test.each<[string, 'inline' | 'attachment', string]>([
    ['photo.jpg', 'inline', 'inline; filename="photo.jpg"'],
    ['report final.pdf', 'attachment', 'attachment; filename="report final.pdf"'],
    ['café.txt', 'attachment', `attachment; filename="cafe.txt"; filename*=UTF-8''caf%C3%A9.txt`],
    ['文件.pdf', 'inline', `inline; filename="WenJian.pdf"; filename*=UTF-8''%E6%96%87%E4%BB%B6.pdf`],
    ['say "hi".txt', 'attachment', `attachment; filename="say _hi_.txt"; filename*=UTF-8''say%20%22hi%22.txt`],
    ['back\\slash.txt', 'attachment', 'attachment; filename="slash.txt"'],
    ['100%.txt', 'inline', `inline; filename="100_.txt"; filename*=UTF-8''100%25.txt`],
    ["it's (1) *.txt", 'inline', `inline; filename="it's (1) *.txt"`],
    ['a\r\nSet-Cookie: x=1', 'inline', 'inline; filename="aSet-Cookie: x=1"'],
    ['', 'attachment', 'attachment; filename="file"'],
    ['../../etc/passwd', 'attachment', 'attachment; filename="passwd"'],
    ['🙂', 'inline', `inline; filename=":slight_smile:"; filename*=UTF-8''%F0%9F%99%82`],
  ])('%j %s', (name, type, expected) => {
    expect(contentDisposition(name, type)).toBe(expected);
  });

  test('filename* encodes exactly the RFC 5987 attr-chars as themselves', () => {
    const name = "ä'()*;,?:@=[] <>{}!#$&+-.^_`|~.txt";
    const star = /filename\*=UTF-8''(.*)$/.exec(contentDisposition(name, 'inline'))?.[1] ?? '';
    expect(star).toMatch(/^[A-Za-z0-9!#$&+\-.^_`|~%]+$/);
    expect(star).toContain('!#$&+-.^_`|~.txt');
    expect(decodeURIComponent(star)).toBe(name);
  });

  test('header values never contain control characters', () => {
    expect(contentDisposition('a\u0000b\u0007c\u202e.txt', 'inline')).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
  });
});

describe('variantFileName', () => {
  test.each([
    ['report.pdf', 'original', 'pdf', 'report.pdf'],
    ['report.pdf', 'thumbnail', 'jpg', 'report.jpg'],
    ['photo.heic', 'medium', 'webp', 'photo.webp'],
    ['README', 'thumbnail', 'png', 'README.png'],
    ['.env', 'thumbnail', 'png', '.env.png'],
    ['clip.tar.gz', 'poster', 'jpg', 'clip.tar.jpg'],
    ['report.pdf', 'thumbnail', '', 'report.pdf'],
  ])('%s as %s (.%s) → %s', (name, variant, ext, expected) => expect(variantFileName(name, variant, ext)).toBe(expected));
});
