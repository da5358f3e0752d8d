import { describe, expect, test } from 'vitest';
import { gridSize, levelSize, manifestKey, manifestXml, maxLevel, parseDziPath, tileKey, tileRect } from './dzi.js';

const U = '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b';
const T = 'AQ3m1Zf0aYb2c3d4e5f6g7h8i9j0kLmNoPqRsTuVwXy';

describe('DZI geometry', () => {
  test.each([
    [1, 1, 0],
    [2, 1, 1],
    [254, 100, 8],
    [256, 256, 8],
    [257, 10, 9],
    [1000, 700, 10],
    [10_000, 10_000, 14],
    [300, 4000, 12],
  ])('%i×%i has top level %i', (width, height, level) => {
    expect(maxLevel({ width, height })).toBe(level);
  });

  test.each([
    [{ width: 1000, height: 700 }, 10, { width: 1000, height: 700 }],
    [{ width: 1000, height: 700 }, 9, { width: 500, height: 350 }],
    [{ width: 1001, height: 701 }, 9, { width: 501, height: 351 }],
    [{ width: 1001, height: 701 }, 8, { width: 251, height: 176 }],
    [{ width: 1000, height: 700 }, 0, { width: 1, height: 1 }],
    [{ width: 1000, height: 3 }, 2, { width: 4, height: 1 }],
  ])('%o at level %i is %o', (image, level, size) => {
    expect(levelSize(image, level)).toEqual(size);
  });

  test.each([
    [{ width: 1000, height: 700 }, 0, 0, { left: 0, top: 0, width: 255, height: 255 }],
    [{ width: 1000, height: 700 }, 1, 0, { left: 253, top: 0, width: 256, height: 255 }],
    [{ width: 1000, height: 700 }, 3, 2, { left: 761, top: 507, width: 239, height: 193 }],
    [{ width: 254, height: 254 }, 0, 0, { left: 0, top: 0, width: 254, height: 254 }],
    [{ width: 255, height: 10 }, 1, 0, { left: 253, top: 0, width: 2, height: 10 }],
  ])('tile of %o at (%i, %i) is %o', (level, col, row, rect) => {
    expect(tileRect(level, col, row)).toEqual(rect);
  });

  test.each([
    [4, 0],
    [0, 3],
    [-1, 0],
    [0.5, 0],
  ])('(%d, %d) is outside a 1000×700 level', (col, row) => {
    expect(gridSize({ width: 1000, height: 700 })).toEqual({ cols: 4, rows: 3 });
    expect(tileRect({ width: 1000, height: 700 }, col, row)).toBeNull();
  });
});

describe('DZI manifest and keys', () => {
  test('manifest names size, tile size, overlap and format', () => {
    expect(manifestXml({ width: 1000, height: 700 }, 'png')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" Format="png" Overlap="1" TileSize="254">\n' +
        '  <Size Width="1000" Height="700"/>\n' +
        '</Image>\n',
    );
  });

  test('keys live under _tiles/<uuid>/', () => {
    expect(manifestKey(U)).toBe(`_tiles/${U}/${U}.dzi`);
    expect(tileKey(U, 12, 3, 40, 'jpg')).toBe(`_tiles/${U}/${U}_files/12/3_40.jpg`);
  });
});

describe('DZI paths', () => {
  test.each([
    [`/files/${U}/dzi/${T}/${U}.dzi`, { kind: 'manifest', fileUuid: U, token: T }],
    [`/files/${U}/dzi/${T}/${U}_files/0/0_0.jpg`, { kind: 'tile', fileUuid: U, token: T, level: 0, col: 0, row: 0, format: 'jpg' }],
    [`/files/${U}/dzi/${T}/${U}_files/14/39_120.png`, { kind: 'tile', fileUuid: U, token: T, level: 14, col: 39, row: 120, format: 'png' }],
    [`/files/${U}/dzi/${T}/${U}_files/01/0_0.jpg`, { kind: 'invalid' }],
    [`/files/${U}/dzi/${T}/${U}_files/1/00_0.jpg`, { kind: 'invalid' }],
    [`/files/${U}/dzi/${T}/${U}_files/1/0_0.jpeg`, { kind: 'invalid' }],
    [`/files/${U}/dzi/${T}/${U}_files/1/0_0.gif`, { kind: 'invalid' }],
    [`/files/${U}/dzi/${T}/0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6c.dzi`, { kind: 'invalid' }],
    [`/files/${U}/dzi/${T}/${U}_files/1/../0_0.jpg`, { kind: 'invalid' }],
    [`/files/${U}/dzi/${T}/${U}.dzi/x`, { kind: 'invalid' }],
    [`/files/${U}/dzi/${T}`, null],
    [`/files/${U}/original/${T}`, null],
    [`/files/${U.toUpperCase()}/dzi/${T}/${U}.dzi`, null],
    [`/files/${U}/dzi/short/${U}.dzi`, null],
  ])('%s', (path, expected) => {
    expect(parseDziPath(path)).toEqual(expected);
  });
});
