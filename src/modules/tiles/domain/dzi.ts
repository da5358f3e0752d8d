import { UUID_SOURCE } from '../../../util/uuid.js';

/**
 * Deep Zoom (DZI) geometry and naming, as OpenSeadragon and libvips' dzsave understand them: level L of an image
 * W×H with top level M = ceil(log2(max(W, H))) is ceil(W / 2^(M-L)) × ceil(H / 2^(M-L)); each level is cut into
 * TileSize squares, each tile widened by Overlap pixels on every side that has a neighbour.
 */

export const TILE_SIZE = 254;
export const TILE_OVERLAP = 1;

export type TileFormat = 'jpg' | 'png';
export type Size = Readonly<{ width: number; height: number }>;
export type Rect = Readonly<{ left: number; top: number; width: number; height: number }>;

/** The top level: the smallest L with 2^L ≥ the longer side (a 1×1 image has only level 0). */
export function maxLevel({ width, height }: Size): number {
  const longest = Math.max(width, height);
  let level = 0;
  while (2 ** level < longest) level++;
  return level;
}

/** The size of `level`: the image halved (rounding up) once per level below the top. */
export function levelSize(image: Size, level: number): Size {
  const factor = 2 ** (maxLevel(image) - level);
  return { width: Math.max(1, Math.ceil(image.width / factor)), height: Math.max(1, Math.ceil(image.height / factor)) };
}

/** Columns and rows of tiles at a level of this size. */
export function gridSize(level: Size, tileSize = TILE_SIZE): { cols: number; rows: number } {
  return { cols: Math.ceil(level.width / tileSize), rows: Math.ceil(level.height / tileSize) };
}

/** The pixels of tile (col, row) within its level, overlap included; null when the tile does not exist. */
export function tileRect(level: Size, col: number, row: number, tileSize = TILE_SIZE, overlap = TILE_OVERLAP): Rect | null {
  const { cols, rows } = gridSize(level, tileSize);
  if (!Number.isSafeInteger(col) || !Number.isSafeInteger(row) || col < 0 || row < 0 || col >= cols || row >= rows) return null;
  const left = col * tileSize - (col > 0 ? overlap : 0);
  const top = row * tileSize - (row > 0 ? overlap : 0);
  const right = Math.min(level.width, (col + 1) * tileSize + overlap);
  const bottom = Math.min(level.height, (row + 1) * tileSize + overlap);
  return { left, top, width: right - left, height: bottom - top };
}

/** The `.dzi` manifest. */
export function manifestXml(image: Size, format: TileFormat, tileSize = TILE_SIZE, overlap = TILE_OVERLAP): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" Format="${format}" Overlap="${overlap}" TileSize="${tileSize}">\n` +
    `  <Size Width="${image.width}" Height="${image.height}"/>\n` +
    '</Image>\n'
  );
}

/** The manifest's name in URLs and keys: `<uuid>.dzi` (its tiles sit beside it in `<uuid>_files/`). */
export const manifestName = (fileUuid: string) => `${fileUuid}.dzi`;

/** Storage key (and system file name) of a file's manifest: `_tiles/<uuid>/<uuid>.dzi`. */
export const manifestKey = (fileUuid: string) => `_tiles/${fileUuid}/${manifestName(fileUuid)}`;

/** Storage key (and system file name) of one tile: `_tiles/<uuid>/<uuid>_files/<level>/<col>_<row>.<fmt>`. */
export const tileKey = (fileUuid: string, level: number, col: number, row: number, format: TileFormat) =>
  `_tiles/${fileUuid}/${fileUuid}_files/${level}/${col}_${row}.${format}`;

export type DziRequest = Readonly<
  | { kind: 'manifest'; fileUuid: string; token: string }
  | { kind: 'tile'; fileUuid: string; token: string; level: number; col: number; row: number; format: TileFormat }
  | { kind: 'invalid' }
>;

const PREFIX = new RegExp(`^/files/(${UUID_SOURCE})/dzi/([A-Za-z0-9_-]{16,128})/(.+)$`);
// no leading zeros: every tile has exactly one URL
const NUMBER = '(0|[1-9][0-9]{0,5})';
const TILE = new RegExp(`^(${UUID_SOURCE})_files/(0|[1-9][0-9]?)/${NUMBER}_${NUMBER}\\.(jpg|png)$`);

/**
 * Reads a DZI URL path: `/files/<uuid>/dzi/<token>/<uuid>.dzi` or `…/<uuid>_files/<level>/<col>_<row>.<jpg|png>`.
 * null: not a DZI path at all; `invalid`: under a DZI prefix but malformed (answered with the same 404 as the rest).
 */
export function parseDziPath(pathname: string): DziRequest | null {
  const prefix = PREFIX.exec(pathname);
  if (!prefix) return null;
  const [, fileUuid = '', token = '', rest = ''] = prefix;
  if (rest === manifestName(fileUuid)) return { kind: 'manifest', fileUuid, token };
  const tile = TILE.exec(rest);
  if (!tile || tile[1] !== fileUuid) return { kind: 'invalid' };
  return {
    kind: 'tile',
    fileUuid,
    token,
    level: Number(tile[2]),
    col: Number(tile[3]),
    row: Number(tile[4]),
    format: tile[5] as TileFormat,
  };
}
