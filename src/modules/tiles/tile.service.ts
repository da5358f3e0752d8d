import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import sharp, { type Sharp } from 'sharp';
import type { Db } from '../../db/database.js';
import { NotFoundError } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import type { FileService } from '../files/file.service.js';
import { DECODE_FAIL_ON } from '../media/image-renderer.js';
import type { SettingsService } from '../settings/setting.service.js';
import {
  gridSize,
  levelSize,
  manifestKey,
  manifestXml,
  maxLevel,
  TILE_OVERLAP,
  TILE_SIZE,
  tileKey,
  tileRect,
  type Size,
  type TileFormat,
} from './domain/dzi.js';
import type { SystemFile, SystemFileInput, SystemFileStore } from './system-files.js';

/** sharp's own default: larger sources are refused before decoding (decompression bombs). */
export const MAX_SOURCE_PIXELS = 0x3fff * 0x3fff;
const JPEG_QUALITY = 85;
/** Tiles read from the work directory and stored per transaction (a tile asked for meanwhile waits for one batch). */
const STORE_BATCH = 64;

/** The source cannot be made into tiles (undecodable, over the pixel limit): answered like a missing file. */
export class TileSourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TileSourceError';
  }
}

/** The switch for deep zoom (reference §2.11): off by default. */
export const TILE_SETTING = 'storage_tile_generation_enabled';

/** A manifest's facts, kept in its system file (width/height columns, format in metadata). */
export type Pyramid = Readonly<{ image: Size; format: TileFormat }>;

type Source = Readonly<{
  uuid: string;
  width: number | null;
  height: number | null;
  /** Whether the image has an alpha channel, as its processing recorded (`metadata.image.has_alpha`); null: unknown. */
  hasAlpha: boolean | null;
  original: { uuid: string; fileName: string };
}>;

/** Runs at most `limit` tasks at once; the rest wait in order. */
function createGate(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** Concurrent callers of the same key share one run (and its result or error). */
function createSingleFlight() {
  const flights = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const current = flights.get(key) as Promise<T> | undefined;
    if (current) return current;
    const flight = task().finally(() => flights.delete(key));
    flights.set(key, flight);
    return flight;
  };
}

async function decode<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new TileSourceError(`${what}: ${(error as Error).message}`, { cause: error });
  }
}

const mimeOf = (format: TileFormat) => (format === 'png' ? 'image/png' : 'image/jpeg');

function encode(image: Sharp, format: TileFormat): Sharp {
  return format === 'png' ? image.png() : image.jpeg({ quality: JPEG_QUALITY });
}

/** `autoOrient` only where EXIF asks for a turn: asked for on an upright image it costs the render ~10 % more CPU. */
const openSource = (path: string, autoOrient = true) =>
  sharp(path, { autoOrient, limitInputPixels: MAX_SOURCE_PIXELS, failOn: DECODE_FAIL_ON });

export type TileServiceDeps = {
  db: Db;
  log: Logger;
  settings: SettingsService;
  files: FileService;
  systemFiles: SystemFileStore;
  /** Pyramids generated at once in this process (each decodes an original). Default 2. */
  concurrency?: number;
};

/**
 * Deep-zoom pyramids, made lazily. The manifest is made on first request (the source's size and whether it has
 * alpha: png tiles then, else jpg). The first request for a tile renders the whole pyramid in one sharp pass, stores
 * the requested tile and answers with it; the other tiles are stored as system files of the image in the background
 * (a tile asked for meanwhile is stored at once). Concurrent requests in this process share that one generation;
 * across processes `SystemFileStore.store` keeps one row and one object per tile.
 */
export function createTileService({ db, log, settings, files, systemFiles, concurrency = 2 }: TileServiceDeps) {
  const gate = createGate(concurrency);
  const once = createSingleFlight();

  /**
   * A non-system raster image with a stored original, neither trashed nor failed (processing found it unreadable: a
   * pyramid could never be made, and each try would decode it again), or null.
   */
  async function source(fileUuid: string): Promise<Source | null> {
    const file = await db.file.findFirst({
      where: {
        uuid: fileUuid,
        systemManaged: false,
        status: { notIn: ['trashed', 'failed'] },
        mimeType: { startsWith: 'image/', not: 'image/svg+xml' },
      },
      select: {
        uuid: true,
        width: true,
        height: true,
        metadata: true,
        instances: { where: { variantName: 'original' }, select: { uuid: true, fileName: true } },
      },
    });
    const original = file?.instances[0];
    if (!file || !original) return null;
    const hasAlpha = (file.metadata as { image?: { has_alpha?: unknown } } | null)?.image?.has_alpha;
    return { uuid: file.uuid, width: file.width, height: file.height, hasAlpha: typeof hasAlpha === 'boolean' ? hasAlpha : null, original };
  }

  /** Copies the original into `workDir` for sharp (random access, bounded memory); returns its path. */
  async function fetchOriginal(src: Source, workDir: string): Promise<string> {
    const { stream } = await files.open(src.original);
    const path = join(workDir, 'source');
    await pipeline(stream, createWriteStream(path, { flags: 'wx' }));
    return path;
  }

  /** Runs `run` on a private copy of the original, then cleans up. */
  async function withOriginal<T>(src: Source, run: (path: string) => Promise<T>): Promise<T> {
    const workDir = await mkdtemp(join(tmpdir(), 'pk-tiles-'));
    try {
      return await run(await fetchOriginal(src, workDir));
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  const pyramidOf = (manifest: SystemFile): Pyramid | null => {
    const format = (manifest.metadata as { format?: unknown } | null)?.format;
    if (!manifest.width || !manifest.height || (format !== 'jpg' && format !== 'png')) return null;
    return { image: { width: manifest.width, height: manifest.height }, format };
  };

  /** The image's displayed size and alpha: from its processed row when known, else from the original's header. */
  async function imageFacts(src: Source): Promise<{ width: number; height: number; hasAlpha: boolean }> {
    if (src.width && src.height && src.hasAlpha !== null) return { width: src.width, height: src.height, hasAlpha: src.hasAlpha };
    const facts = await withOriginal(src, (path) =>
      decode('cannot read the image', async () => {
        const meta = await openSource(path).metadata();
        const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height };
        return { hasAlpha: Boolean(meta.hasAlpha), width: oriented.width, height: oriented.height };
      }),
    );
    // the row's size (set by processing) wins; the original's is the fallback
    return src.width && src.height ? { ...facts, width: src.width, height: src.height } : facts;
  }

  async function makeManifest(src: Source): Promise<SystemFile> {
    const facts = await imageFacts(src);
    const image = { width: facts.width, height: facts.height };
    if (!image.width || !image.height) throw new TileSourceError('the image has no size');
    // the header alone tells a decompression bomb: no manifest promises tiles that could never be made
    if (facts.width * facts.height > MAX_SOURCE_PIXELS) throw new TileSourceError('the image has too many pixels');
    const format: TileFormat = facts.hasAlpha ? 'png' : 'jpg';
    const key = manifestKey(src.uuid);
    const stored = await systemFiles.store(src.uuid, [
      {
        key,
        bytes: Buffer.from(manifestXml(image, format), 'utf8'),
        mimeType: 'application/xml',
        ext: 'dzi',
        width: image.width,
        height: image.height,
        metadata: { kind: 'dzi_manifest', format, tileSize: TILE_SIZE, overlap: TILE_OVERLAP },
      },
    ]);
    const manifest = stored.get(key);
    if (!manifest) throw new Error('manifest was not stored');
    return manifest;
  }

  async function manifestFor(src: Source): Promise<{ manifest: SystemFile; pyramid: Pyramid }> {
    const manifest =
      (await systemFiles.find(src.uuid, manifestKey(src.uuid))) ??
      (await once(`${src.uuid}:manifest`, async () => (await systemFiles.find(src.uuid, manifestKey(src.uuid))) ?? makeManifest(src)));
    const pyramid = pyramidOf(manifest);
    if (!pyramid) throw new Error(`manifest of ${src.uuid} is unreadable`);
    return { manifest, pyramid };
  }

  const tileInput = (fileUuid: string, pyramid: Pyramid, level: number, col: number, row: number, bytes: Buffer): SystemFileInput => {
    const rect = tileRect(levelSize(pyramid.image, level), col, row);
    if (!rect) throw new Error(`tile ${level}/${col}_${row} is outside the pyramid`);
    return {
      key: tileKey(fileUuid, level, col, row, pyramid.format),
      bytes,
      mimeType: mimeOf(pyramid.format),
      ext: pyramid.format,
      width: rect.width,
      height: rect.height,
      metadata: { level, col, row },
    };
  };

  /** A pyramid rendered into a work directory whose tiles are being stored (their order: lowest level first). */
  type Rendered = { src: Source; pyramid: Pyramid; dir: string; workDir: string; levels: TileName[][] };
  type TileName = { level: number; col: number; row: number; name: string };
  const rendered = new Map<string, Rendered>();
  const background = new Set<Promise<void>>();
  let closing = false;

  const readTile = async (r: Rendered, t: TileName) =>
    tileInput(r.src.uuid, r.pyramid, t.level, t.col, t.row, await readFile(join(r.dir, String(t.level), t.name)));

  /**
   * The whole pyramid in one libvips pass (dzsave: each level shrunk from the one above, written tile by tile, so
   * memory stays bounded) into a work directory, which the caller owns.
   */
  async function render(src: Source, pyramid: Pyramid): Promise<Rendered> {
    const workDir = await mkdtemp(join(tmpdir(), 'pk-tiles-'));
    try {
      const path = await fetchOriginal(src, workDir);
      const out = join(workDir, 'pyramid');
      await decode('cannot tile the image', async () => {
        const meta = await openSource(path, false).metadata();
        const image = openSource(path, (meta.orientation ?? 1) > 1);
        const actual = meta.autoOrient ?? { width: meta.width, height: meta.height };
        // the manifest's size rules: a row whose size disagrees with the pixels gets the pixels fitted to it
        const sized =
          actual.width === pyramid.image.width && actual.height === pyramid.image.height
            ? image
            : image.resize(pyramid.image.width, pyramid.image.height, { fit: 'fill' });
        await encode(sized, pyramid.format).tile({ size: TILE_SIZE, overlap: TILE_OVERLAP, layout: 'dz' }).toFile(out);
      });
      await rm(path, { force: true });
      const dir = `${out}_files`;
      const levels: TileName[][] = [];
      for (let level = 0; level <= maxLevel(pyramid.image); level++) {
        const names = (await readdir(join(dir, String(level)))).flatMap((name) => {
          const match = /^(\d+)_(\d+)\.(?:jpeg|jpg|png)$/.exec(name);
          return match ? [{ level, col: Number(match[1]), row: Number(match[2]), name }] : [];
        });
        const grid = gridSize(levelSize(pyramid.image, level));
        if (names.length !== grid.cols * grid.rows) {
          throw new Error(`level ${level}: ${names.length} tiles, expected ${grid.cols * grid.rows}`);
        }
        levels.push(names);
      }
      return { src, pyramid, dir, workDir, levels };
    } catch (error) {
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Stores every tile of a rendered pyramid in batches, lowest level first, then drops its work directory. */
  async function storeAll(r: Rendered): Promise<void> {
    const started = Date.now();
    try {
      const all = r.levels.flat();
      for (let start = 0; start < all.length && !closing; start += STORE_BATCH) {
        const items = await Promise.all(all.slice(start, start + STORE_BATCH).map((t) => readTile(r, t)));
        await systemFiles.store(r.src.uuid, items);
      }
      log.info({ fileUuid: r.src.uuid, tiles: all.length, ms: Date.now() - started, complete: !closing }, 'tile pyramid stored');
    } catch (error) {
      // the parent went away (deleted meanwhile) or storage failed: tiles still missing are made again when asked for
      const level = error instanceof NotFoundError ? 'debug' : 'warn';
      log[level]({ err: error, fileUuid: r.src.uuid }, 'tile pyramid not stored completely');
    } finally {
      rendered.delete(r.src.uuid);
      await rm(r.workDir, { recursive: true, force: true });
    }
  }

  /**
   * Renders the pyramid (one generation per file in this process, `concurrency` files at once), stores the tile that
   * asked for it, then stores the rest in the background; until that ends, tiles are stored one by one as they are
   * asked for.
   */
  function generate(src: Source, pyramid: Pyramid, first: { key: string; level: number; col: number; row: number }): Promise<void> {
    return once(`${src.uuid}:pyramid`, () =>
      gate(async () => {
        // a request that waited may find the pyramid made (or being stored) meanwhile
        if (rendered.has(src.uuid) || (await systemFiles.find(src.uuid, first.key))) return;
        const started = Date.now();
        const r = await render(src, pyramid);
        rendered.set(src.uuid, r);
        log.info({ fileUuid: src.uuid, tiles: r.levels.flat().length, ms: Date.now() - started }, 'tile pyramid rendered');
        try {
          // the asking tile first: the background pass would otherwise hold the parent's lock for a whole batch
          await storeOne(src.uuid, first.key, first.level, first.col, first.row);
        } finally {
          const storing = storeAll(r);
          background.add(storing);
          void storing.finally(() => background.delete(storing));
        }
      }),
    );
  }

  /** The requested tile from a pyramid still being stored: stored now (once, whoever asks), or null. */
  async function storeOne(fileUuid: string, key: string, level: number, col: number, row: number): Promise<SystemFile | null> {
    const r = rendered.get(fileUuid);
    const t = r?.levels[level]?.find((n) => n.col === col && n.row === row);
    if (!r || !t) return null;
    return once(`${fileUuid}:${key}`, async () => (await systemFiles.store(fileUuid, [await readTile(r, t)])).get(key) ?? null);
  }

  return {
    /** Setting `storage_tile_generation_enabled` is "true". */
    enabled: () => settings.getBoolean(TILE_SETTING),

    /** The file's stored manifest, made on first call; null when the file cannot have tiles. */
    async manifest(fileUuid: string): Promise<SystemFile | null> {
      const src = await source(fileUuid);
      return src ? (await manifestFor(src)).manifest : null;
    },

    /** One stored tile (the whole pyramid is made on the first request); null when the file or the tile does not exist. */
    async tile(fileUuid: string, level: number, col: number, row: number, format: TileFormat): Promise<SystemFile | null> {
      const src = await source(fileUuid);
      if (!src) return null;
      const { pyramid } = await manifestFor(src);
      if (format !== pyramid.format || level > maxLevel(pyramid.image)) return null;
      if (!tileRect(levelSize(pyramid.image, level), col, row)) return null;
      const key = tileKey(src.uuid, level, col, row, format);
      const stored = await systemFiles.find(src.uuid, key);
      if (stored) return stored;
      if (!rendered.has(src.uuid)) {
        await generate(src, pyramid, { key, level, col, row });
        const made = await systemFiles.find(src.uuid, key);
        if (made) return made;
      }
      return (await storeOne(src.uuid, key, level, col, row)) ?? systemFiles.find(src.uuid, key);
    },

    /** Resolves when every pyramid rendered so far has been stored (or given up). */
    async settled(): Promise<void> {
      while (background.size > 0) await Promise.all(background);
    },

    /** Stops storing rendered pyramids after the current batch (what is missing is made again on request). */
    async close(): Promise<void> {
      closing = true;
      await this.settled();
    },
  };
}

export type TileService = ReturnType<typeof createTileService>;
