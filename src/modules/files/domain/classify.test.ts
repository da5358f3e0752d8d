import { describe, expect, test } from 'vitest';
import { classifyFile, essence, mimeFromExtension, reconcileFileType, uploadContentType, type FileType } from './classify.js';

describe('classifyFile (reference §2.10, mime from the bytes first)', () => {
  test.each<[string | null, string | null, FileType]>([
    ['image/jpeg', 'a.jpg', 'image'],
    ['image/svg+xml', 'a.svg', 'image'],
    ['IMAGE/PNG', 'a.png', 'image'],
    ['video/mp4', 'a.mp4', 'video'],
    ['video/quicktime', 'a.mov', 'video'],
    ['audio/mpeg', 'a.mp3', 'audio'],
    ['audio/ogg; codecs=opus', 'a.ogg', 'audio'],
    ['application/pdf', 'a.pdf', 'document'],
    ['application/msword', 'a.doc', 'document'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'a.docx', 'document'],
    ['text/plain', 'a.txt', 'document'],
    ['text/csv; charset=utf-8', 'a.csv', 'document'],
    ['application/zip', 'a.zip', 'archive'],
    ['application/gzip', 'a.gz', 'archive'],
    ['application/x-zip-compressed', 'a.zip', 'archive'],
    ['application/x-archive', 'a.a', 'archive'],
    ['application/x-tar', 'a.tar', 'archive'],
    ['application/x-7z-compressed', 'a.7z', 'archive'],
    ['application/vnd.rar', 'a.rar', 'archive'],
    ['application/x-xz', 'a.xz', 'archive'],
    // the bytes win over the name
    ['image/png', 'holiday.pdf', 'image'],
    ['application/pdf', 'cat.jpg', 'document'],
    // a positively detected type is not upgraded by the name
    ['application/x-msdownload', 'x.png', 'other'],
    ['application/x-sqlite3', 'db.mp4', 'other'],
    // bytes told nothing: the extension decides
    ['application/octet-stream', 'notes.txt', 'document'],
    [null, 'notes.md', 'document'],
    ['', 'song.flac', 'audio'],
    ['application/octet-stream', 'clip.webm', 'video'],
    ['application/octet-stream', 'pic.JPEG', 'image'],
    ['application/octet-stream', 'backup.tar', 'archive'],
    // the reference's audio extension list
    [null, 'x.opus', 'audio'],
    [null, 'x.weba', 'audio'],
    [null, 'x.MIDI', 'audio'],
    // the reference only counts Word among office formats
    ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'a.xlsx', 'other'],
    ['application/octet-stream', 'a.xlsx', 'other'],
    ['application/json', 'a.json', 'other'],
    ['application/octet-stream', 'noextension', 'other'],
    ['application/octet-stream', '.env', 'other'],
    [null, null, 'other'],
  ])('%j %j → %s', (mime, name, expected) => {
    expect(classifyFile(mime, name)).toBe(expected);
  });
});

describe('uploadContentType (the bytes decide; a name only for text formats, and only for text bytes)', () => {
  const png = { mime: 'image/png', ext: 'png' };
  test.each<[string, { mime: string; ext: string } | null, string, boolean, [string, string, FileType]]>([
    ['detected bytes win over the name', png, 'holiday.pdf', false, ['image/png', 'png', 'image']],
    ['detected bytes, no name', png, '', false, ['image/png', 'png', 'image']],
    ['random bytes named .png', null, 'photo.png', false, ['application/octet-stream', 'bin', 'other']],
    ['text bytes named .png', null, 'photo.png', true, ['application/octet-stream', 'bin', 'other']],
    ['random bytes named .mp3', null, 'song.mp3', false, ['application/octet-stream', 'bin', 'other']],
    ['random bytes named .txt', null, 'notes.txt', false, ['application/octet-stream', 'bin', 'other']],
    ['text named .txt', null, 'notes.txt', true, ['text/plain', 'txt', 'document']],
    ['text named .CSV', null, 'table.CSV', true, ['text/csv', 'csv', 'document']],
    ['text named .md', null, 'readme.md', true, ['text/markdown', 'md', 'document']],
    ['text named .json', null, 'data.json', true, ['application/json', 'json', 'other']],
    ['text named .html is stored opaque', null, 'page.html', true, ['application/octet-stream', 'html', 'document']],
    ['text named .svg is stored opaque', null, 'logo.svg', true, ['application/octet-stream', 'svg', 'image']],
    ['text without an extension', null, 'README', true, ['application/octet-stream', 'bin', 'other']],
    ['detected html-like type is stored opaque', { mime: 'application/xml', ext: 'xml' }, 'a.xml', true, ['application/octet-stream', 'xml', 'other']],
  ])('%s', (_label, detected, name, isText, [mime, ext, fileType]) => {
    expect(uploadContentType(detected, name, isText)).toEqual({ mime, ext, fileType });
  });
});

describe('reconcileFileType', () => {
  test.each<[string | null, FileType, string]>([
    ['image', 'video', 'video'],
    ['document', 'image', 'image'],
    ['image', 'other', 'image'],
    ['tile', 'image', 'tile'],
    [null, 'audio', 'audio'],
    ['', 'other', 'other'],
  ])('claimed %j, derived %s → %s', (claimed, derived, expected) => {
    expect(reconcileFileType(claimed, derived)).toBe(expected);
  });
});

describe('helpers', () => {
  test.each([
    ['text/plain; charset=UTF-8', 'text/plain'],
    [' Image/PNG ', 'image/png'],
    [null, ''],
  ])('essence(%j) → %j', (mime, expected) => {
    expect(essence(mime)).toBe(expected);
  });
  test.each([
    ['a.JPG', 'image/jpeg'],
    ['a.tar.gz', 'application/gzip'],
    ['a', null],
    ['a.unknown', null],
  ])('mimeFromExtension(%j) → %j', (name, expected) => {
    expect(mimeFromExtension(name)).toBe(expected);
  });
});
