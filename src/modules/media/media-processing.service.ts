import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import exifReader from 'exif-reader';
import type { Db } from '../../db/database.js';
import { NotFoundError } from '../../graphql/errors.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Logger } from '../../logger.js';
import type { FileService } from '../files/file.service.js';
import type { SettingsService } from '../settings/setting.service.js';
import { exifEssentials, type ParsedExif } from './domain/exif.js';
import { processingKindOf, type ProcessingKind } from './domain/media-kind.js';
import { planVariants, type FocalPoint, type VariantPlan, type VariantSource } from './domain/plan-variants.js';
import { isPermanent, PermanentMediaError, reasonOf, ToolMissingError } from './domain/processing-errors.js';
import { sharedDecodeSize } from './domain/shared-decode.js';
import { extractFrame, probeVideo, transcodeVideo } from './ffmpeg.js';
import type { FileEvents, FileProcessingEvent } from './file-events.js';
import { assertDecodes, decodeScaled, inspectImage, isEightBit, isTransparent, renderImage, type DecodedImage } from './image-renderer.js';
import type { FileJobData, MediaQueue } from './media-queue.js';
import type { ToolPaths } from './media-tools.js';
import { readPdfInfo, renderFirstPage } from './poppler.js';
import type { RenderedVariant, VariantStore, VariantTarget } from './variant-store.js';
import { isUuid } from '../../util/uuid.js';

export type MediaOptions = Readonly<{
  tools: ToolPaths;
  /** Images (and video frames, PDF pages) with more pixels are refused before decoding. Default: sharp's 0x3FFF². */
  maxInputPixels: number;
  /** A file still `processing` this long after its last change is looked at by the sweeper. */
  staleAfterMs: number;
  /** Attempts after the first, with exponential backoff from `retryDelaySeconds`. */
  retryLimit: number;
  retryDelaySeconds: number;
  /**
   * pg-boss expires (and retries) a job running longer than this; it cannot stop the run, so the retry finds the file
   * held by it and leaves the file to it (MediaQueue.exclusively).
   */
  jobExpireSeconds: number;
  /** Limit for one ffmpeg / poppler run. */
  toolTimeoutMs: number;
  /** How long a run that found its file held by another run waits before it looks again. */
  busyRetrySeconds: number;
  /** Cron (UTC) of the stale-job sweeper. */
  sweepCron: string;
  tmpDir: string;
}>;

export const DEFAULT_MEDIA_OPTIONS: MediaOptions = {
  tools: { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe', pdftoppm: 'pdftoppm', pdfinfo: 'pdfinfo' },
  maxInputPixels: 0x3fff * 0x3fff,
  staleAfterMs: 30 * 60_000,
  retryLimit: 3,
  retryDelaySeconds: 5,
  jobExpireSeconds: 3600,
  toolTimeoutMs: 3600_000,
  busyRetrySeconds: 60,
  sweepCron: '*/5 * * * *',
  tmpDir: tmpdir(),
};

/** Keys of `files.metadata` this job writes; everything else there (focal_point, …) is left alone. */
const OWNED_KEYS = ['exif', 'image', 'video', 'audio', 'pdf', 'page_count', 'processing_error', 'variant_errors', 'processing_requeues'];

const WITH_COPIES = {
  instances: { include: { locations: { where: { status: 'active' }, include: { bucket: true } } } },
} satisfies Prisma.FileInclude;
type LoadedFile = Prisma.FileGetPayload<{ include: typeof WITH_COPIES }>;
type Json = Record<string, unknown>;

/** What the job learned about a file, and where the variants are made from. */
type Analysis = {
  columns: { width: number | null; height: number | null; duration: number | null };
  metadata: Json;
  source: VariantSource | null;
  /** The picture the image variants are rendered from (original image or PDF page). */
  sourcePath: string | null;
  /** That picture has 8 bits per sample: it can be decoded once for all variants (deeper ones keep their depth per variant). */
  shareDecode: boolean;
  videoPath: string | null;
  frameAt: number;
  /** Why no variant can be made at all (a missing tool): each planned variant fails with it. */
  blocked: string | null;
  /** Sound in a video container, no picture (a voice memo): like any audio, active without variants. */
  audioOnly?: boolean;
};

/** Stable JSON (sorted keys) for "did anything change" checks. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Json)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const asObject = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});

function withoutOwned(metadata: unknown): Json {
  const rest = { ...asObject(metadata) };
  for (const key of OWNED_KEYS) delete rest[key];
  return rest;
}

function focalPointOf(metadata: unknown): FocalPoint | null {
  const fp = asObject(asObject(metadata).focal_point);
  const x = Number(fp.x);
  const y = Number(fp.y);
  return Number.isFinite(x) && Number.isFinite(y) && x >= 0 && x <= 1 && y >= 0 && y <= 1 ? { x, y } : null;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export type MediaServiceDeps = {
  db: Db;
  log: Logger;
  settings: SettingsService;
  files: FileService;
  variants: VariantStore;
  queue: MediaQueue;
  events: FileEvents;
  options: MediaOptions;
};

/**
 * The `file_processing` job: reads the original once into a temporary folder, records what it is (dimensions, EXIF,
 * duration and codecs, page count), renders every planned variant and stores it beside the original, and ends the
 * file `active` (or `failed`, with the reason in `metadata.processing_error`). Failed variants are `failed` rows with
 * their reason in `metadata.variant_errors`. Every status change is published on `events`.
 */
export function createMediaService(deps: MediaServiceDeps) {
  const { db, log, settings, files, variants, queue, events, options } = deps;
  const { tools, maxInputPixels, toolTimeoutMs } = options;

  async function publish(fileUuid: string, variant: string | null, status: FileProcessingEvent['status'], reason: string | null = null) {
    try {
      await events.publish({ fileUuid, variant, status, reason, at: new Date().toISOString() });
    } catch (error) {
      log.warn({ err: error, fileUuid, variant, status }, 'file event not published');
    }
  }

  const load = (uuid: string) => db.file.findUnique({ where: { uuid }, include: WITH_COPIES });

  /**
   * Writes status/columns/metadata only when they differ from the row (a repeated run writes nothing). `onlyIf`: the
   * write applies only to a row still matching it (nothing is written otherwise). Returns whether the row is as asked.
   */
  async function save(
    file: LoadedFile,
    data: { status: string; width?: number | null; height?: number | null; duration?: number | null; metadata: Json },
    onlyIf?: Prisma.FileWhereInput,
  ): Promise<boolean> {
    const changed =
      data.status !== file.status ||
      (data.width !== undefined && data.width !== file.width) ||
      (data.height !== undefined && data.height !== file.height) ||
      (data.duration !== undefined && data.duration !== file.duration) ||
      canonical(data.metadata) !== canonical(file.metadata ?? {});
    if (!changed) return true;
    const { status, ...learned } = { ...data, metadata: data.metadata as Prisma.InputJsonValue };
    const where = onlyIf ?? { status: { in: ['processing', 'active', 'failed'] } };
    const updated = await db.file.updateMany({ where: { uuid: file.uuid, ...where }, data: { ...learned, status } });
    if (updated.count > 0 || onlyIf) return updated.count > 0;
    // a file trashed meanwhile stays trashed, but keeps what the job learned: restored, it tells how processing ended
    await db.file.updateMany({ where: { uuid: file.uuid, status: 'trashed' }, data: learned });
    return true;
  }

  /**
   * Ends the file `failed`; with what the job learned (`analysis`, variant failures) when it got that far. `onlyIf` as
   * for save; returns whether the file was failed.
   */
  async function failFile(
    file: LoadedFile,
    reason: string,
    learned?: { analysis: Analysis; failures: Record<string, string> },
    onlyIf?: Prisma.FileWhereInput,
  ): Promise<boolean> {
    const metadata: Json = learned
      ? { ...withoutOwned(file.metadata), ...learned.analysis.metadata, variant_errors: learned.failures }
      : { ...asObject(file.metadata) };
    metadata.processing_error = reason;
    delete metadata.processing_requeues;
    if (!(await save(file, { status: 'failed', ...(learned?.analysis.columns ?? {}), metadata }, onlyIf))) return false;
    log.warn({ fileUuid: file.uuid, reason }, 'file processing failed');
    await publish(file.uuid, null, 'failed', reason);
    return true;
  }

  async function finish(file: LoadedFile, analysis: Analysis | null, failures: Record<string, string>) {
    const metadata: Json = { ...withoutOwned(file.metadata), ...(analysis?.metadata ?? {}) };
    if (Object.keys(failures).length > 0) metadata.variant_errors = failures;
    await save(file, { status: 'active', ...(analysis?.columns ?? {}), metadata });
    await publish(file.uuid, null, 'active');
  }

  async function download(original: LoadedFile['instances'][number], dir: string): Promise<string> {
    const path = join(dir, 'original');
    const { stream } = await files.open(original);
    await pipeline(stream, createWriteStream(path));
    return path;
  }

  async function analyseImage(file: LoadedFile, path: string): Promise<Analysis> {
    const info = await inspectImage(path, maxInputPixels);
    const transparent = info.hasAlpha && (await isTransparent(path, maxInputPixels));
    let parsed: ParsedExif | null = null;
    if (info.exif) {
      try {
        parsed = exifReader(info.exif) as ParsedExif;
      } catch {
        log.debug({ fileUuid: file.uuid }, 'unreadable EXIF ignored');
      }
    }
    const keepGps = (await settings.get('storage_keep_gps_metadata')) === 'true';
    const exif = exifEssentials(parsed, { keepGps, orientation: info.orientation });
    const metadata: Json = {
      image: { format: info.format, has_alpha: info.hasAlpha, transparent, bit_depth: info.bitDepth, pages: info.pages },
    };
    if (Object.keys(exif).length > 0) metadata.exif = exif;
    return {
      columns: { width: info.width, height: info.height, duration: null },
      metadata,
      source: {
        kind: 'image',
        width: info.width,
        height: info.height,
        hasAlpha: transparent,
        format: file.ext || info.format,
        focalPoint: focalPointOf(file.metadata),
      },
      sourcePath: path,
      shareDecode: isEightBit(info),
      videoPath: null,
      frameAt: 0,
      blocked: null,
    };
  }

  async function analyseVideo(file: LoadedFile, path: string): Promise<Analysis> {
    const empty: Analysis = {
      columns: { width: null, height: null, duration: null },
      metadata: {},
      source: null,
      sourcePath: null,
      shareDecode: false,
      videoPath: path,
      frameAt: 0,
      blocked: null,
    };
    let probed;
    try {
      probed = await probeVideo(tools, path, toolTimeoutMs);
    } catch (error) {
      if (error instanceof ToolMissingError) return { ...empty, blocked: error.message };
      throw error;
    }
    if (probed.kind === 'audio') {
      const { duration } = probed.info;
      return {
        ...empty,
        columns: { width: null, height: null, duration: duration === null ? null : Math.max(1, Math.round(duration)) },
        metadata: { audio: probed.info },
        videoPath: null,
        audioOnly: true,
      };
    }
    const info = probed.info;
    const width = info.width!;
    const height = info.height!;
    if (width * height > maxInputPixels) {
      throw new PermanentMediaError(`video frames are ${width}×${height} pixels, over the limit of ${maxInputPixels}`);
    }
    const duration = info.duration;
    return {
      ...empty,
      columns: { width, height, duration: duration === null ? null : Math.max(1, Math.round(duration)) },
      metadata: { video: info },
      source: { kind: 'video', width, height, focalPoint: focalPointOf(file.metadata) },
      frameAt: duration === null ? 0 : Math.min(1, duration / 2),
    };
  }

  async function analysePdf(path: string, dir: string, autoGenerate: boolean): Promise<Analysis> {
    const result: Analysis = {
      columns: { width: null, height: null, duration: null },
      metadata: {},
      source: null,
      sourcePath: null,
      shareDecode: false,
      videoPath: null,
      frameAt: 0,
      blocked: null,
    };
    let info = null;
    try {
      info = await readPdfInfo(tools, path, toolTimeoutMs);
      const { page_count, ...rest } = info;
      result.metadata = { page_count, pdf: rest };
    } catch (error) {
      if (!(error instanceof ToolMissingError)) throw new PermanentMediaError(reasonOf(error, 'not a readable PDF'));
      log.warn({ reason: error.message }, 'PDF page count not read');
    }
    if (!autoGenerate) return result;
    try {
      const page = await renderFirstPage(tools, path, join(dir, 'page'), info, toolTimeoutMs);
      const raster = await inspectImage(page, maxInputPixels);
      result.source = { kind: 'pdf', width: raster.width, height: raster.height };
      result.sourcePath = page;
      result.shareDecode = isEightBit(raster);
    } catch (error) {
      if (!isPermanent(error)) throw error;
      result.blocked = reasonOf(error);
    }
    return result;
  }

  type Inputs = { frame: () => Promise<string>; picture: () => Promise<string | DecodedImage> };

  async function render(plan: VariantPlan, analysis: Analysis, dir: string, inputs: Inputs): Promise<RenderedVariant> {
    const out = join(dir, `variant-${plan.name}.${plan.ext}`);
    let width: number;
    let height: number;
    if (plan.output === 'video') {
      await transcodeVideo(tools, analysis.videoPath!, plan, out, toolTimeoutMs);
      ({ width, height } = plan);
    } else {
      const input = plan.source === 'frame' ? await inputs.frame() : await inputs.picture();
      ({ width, height } = await renderImage(input, plan, out, maxInputPixels));
    }
    const { size } = await stat(out);
    return { path: out, sha256: await sha256File(out), size, width, height, mimeType: plan.mimeType, ext: plan.ext };
  }

  /** Variants follow the original: on the buckets holding an active copy of it. */
  function targetsOf(original: LoadedFile['instances'][number]): VariantTarget[] {
    const byBucket = new Map<string, VariantTarget>();
    for (const location of original.locations) {
      if (location.bucket.enabled && !byBucket.has(location.bucketUuid)) {
        byBucket.set(location.bucketUuid, { bucket: location.bucket, priority: location.priority });
      }
    }
    return [...byBucket.values()];
  }

  async function processFile(uuid: string, opts: { final: boolean }): Promise<void> {
    const file = await load(uuid);
    if (!file || file.systemManaged) return;
    const kind: ProcessingKind | null = processingKindOf(file);
    if (!kind) return finish(file, null, {});
    const original = file.instances.find((i) => i.variantName === 'original');
    if (!original) {
      await failFile(file, 'the original has no stored instance');
      return;
    }

    const dir = await mkdtemp(join(options.tmpDir, 'pk-media-'));
    try {
      let path: string;
      try {
        path = await download(original, dir);
      } catch (error) {
        const gone = error instanceof NotFoundError || (error as { code?: string }).code === 'STORAGE_OBJECT_NOT_FOUND';
        if (!gone && !opts.final) throw error;
        await failFile(file, reasonOf(error, 'could not read the original'));
        return;
      }
      const autoGenerate = await settings.getBoolean('storage_auto_generate_variants');
      let analysis: Analysis;
      try {
        analysis =
          kind === 'image'
            ? await analyseImage(file, path)
            : kind === 'video'
              ? await analyseVideo(file, path)
              : await analysePdf(path, dir, autoGenerate);
      } catch (error) {
        if (!isPermanent(error) && !opts.final) throw error;
        await failFile(file, reasonOf(error));
        return;
      }
      if (kind === 'image' && !autoGenerate) {
        // no variant will decode it: its pixels are read here, or a cut-off image would end `active`
        try {
          await assertDecodes(analysis.sourcePath!, maxInputPixels);
        } catch (error) {
          await failFile(file, reasonOf(error), { analysis, failures: {} });
          return;
        }
      }

      const failures: Record<string, string> = {};
      let transient: unknown = null;
      let planned = 0;
      if (autoGenerate) {
        const presets = await db.storageDimension.findMany({ where: { enabled: true } });
        // without a source (a tool is missing) the plan only names the variants that fail
        // sound alone has nothing to render: no plan, so variants of an earlier run (as a video) go too
        const plans = analysis.audioOnly ? [] : planVariants(analysis.source ?? { kind, width: 1920, height: 1080 }, presets);
        const targets = targetsOf(original);
        planned = plans.length;
        let framePath: Promise<string> | null = null;
        const frame = () => {
          framePath ??= (async () => {
            const png = join(dir, 'frame.png');
            await extractFrame(tools, analysis.videoPath!, analysis.frameAt, png, toolTimeoutMs);
            await inspectImage(png, maxInputPixels);
            return png;
          })();
          return framePath;
        };
        // the image or page decoded once for all its variants when that fits in memory; else each decodes the file
        let decoded: Promise<DecodedImage | null> | null = null;
        const picture = async () => {
          decoded ??= (async () => {
            const fromPicture = plans.filter((p) => p.output === 'image' && p.source !== 'frame');
            const size = analysis.shareDecode && analysis.source ? sharedDecodeSize(analysis.source, fromPicture.map((p) => p.resize)) : null;
            // an unreadable picture fails each variant on its own, as without sharing
            return size ? decodeScaled(analysis.sourcePath!, size, maxInputPixels).catch(() => null) : null;
          })();
          return (await decoded) ?? analysis.sourcePath!;
        };
        // a file deleted meanwhile needs no more variants (and has no row to record one on): the run stops
        const deleted = async () => {
          if ((await db.file.count({ where: { uuid } })) > 0) return false;
          log.info({ fileUuid: uuid }, 'file deleted while it was processed; the run stops');
          return true;
        };
        for (const plan of plans) {
          if (await deleted()) return;
          await publish(uuid, plan.name, 'processing');
          let rendered: RenderedVariant | null = null;
          try {
            if (analysis.blocked) throw new PermanentMediaError(analysis.blocked);
            if (targets.length === 0) throw new Error('no enabled bucket holds the original');
            rendered = await render(plan, analysis, dir, { frame, picture });
            await variants.store(uuid, plan.name, targets, rendered);
            await publish(uuid, plan.name, 'completed');
          } catch (error) {
            if (await deleted()) return;
            if (!isPermanent(error) && !opts.final) {
              transient ??= error;
              log.warn({ err: error, fileUuid: uuid, variant: plan.name }, 'variant failed; the job will retry');
              continue;
            }
            const reason = reasonOf(error);
            failures[plan.name] = reason;
            await variants.markFailed(uuid, plan.name, plan);
            await publish(uuid, plan.name, 'failed', reason);
          } finally {
            if (rendered) await rm(rendered.path, { force: true });
          }
        }
        const removed = await variants.removeOthers(uuid, new Set(plans.map((p) => p.name)));
        if (removed.length > 0) log.info({ fileUuid: uuid, removed }, 'variants of removed dimensions deleted');
      }
      if (transient) throw transient;
      // an image whose header reads but whose pixels do not (truncated, corrupt) fails every variant: the file is broken
      const failed = Object.values(failures);
      if (kind === 'image' && planned > 0 && failed.length === planned) {
        await failFile(file, `not a readable image: ${failed[0]}`, { analysis, failures });
        return;
      }
      await finish(file, analysis, failures);
      log.info({ fileUuid: uuid, kind, failed: Object.keys(failures) }, 'file processed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    options,
    processFile,

    /** Job handler: the last attempt records failures instead of throwing, so nothing is left `processing`. */
    async runJob(data: Partial<FileJobData>): Promise<void> {
      const fileUuid = data?.fileUuid;
      if (!isUuid(fileUuid)) {
        log.warn({ data }, 'file-processing job without a file uuid dropped');
        return;
      }
      const attempt = await queue.attempt(fileUuid);
      try {
        const ran = await queue.exclusively(fileUuid, () =>
          processFile(fileUuid, { final: !attempt || attempt.retryCount >= attempt.retryLimit }),
        );
        if (!ran && attempt && attempt.retryCount > 0) {
          // pg-boss's retry of this job, started while its first run (past the job's expiry) still goes on: that run
          // finishes the file
          log.info({ fileUuid }, 'file is being processed by this job\'s earlier run; left to it');
        } else if (!ran) {
          // a request made while another run holds the file (a regeneration after a preset change) must not be lost:
          // it is queued again to look once that run is over
          const queued = await queue.enqueue(fileUuid, { startAfterSeconds: options.busyRetrySeconds });
          log.info({ fileUuid, queued }, 'file is being processed by another run; queued again for after it');
        }
      } catch (error) {
        // deleted while it was being processed: nothing left to retry for
        if ((await db.file.count({ where: { uuid: fileUuid } })) === 0) return;
        throw error;
      }
    },

    /**
     * Files `processing` for longer than `staleAfterMs` with no job waiting, retrying or running for them: re-queued
     * once, and failed (with the reason) when that did not finish them either. Returns what it did.
     */
    async sweepStale(now = new Date()): Promise<{ requeued: string[]; failed: string[] }> {
      const cutoff = new Date(now.getTime() - options.staleAfterMs);
      const stale = await db.file.findMany({
        where: { status: 'processing', systemManaged: false, updatedAt: { lt: cutoff } },
        include: WITH_COPIES,
        orderBy: { updatedAt: 'asc' },
        take: 500,
      });
      const requeued: string[] = [];
      const failed: string[] = [];
      // the list is a snapshot: a job may finish (or a restore re-queue) a file before the loop gets to it. Only a row
      // still processing and stale is touched (any write since moved updated_at past the cutoff); updated_at is not
      // compared for equality because the database keeps microseconds that the snapshot's Date has lost
      const stillStale = { status: 'processing', updatedAt: { lt: cutoff } } satisfies Prisma.FileWhereInput;
      for (const file of stale) {
        if (await queue.hasLiveJob(file.uuid)) continue;
        const requeues = Number(asObject(file.metadata).processing_requeues ?? 0) || 0;
        if (requeues < 1) {
          const metadata = { ...asObject(file.metadata), processing_requeues: requeues + 1 };
          const { count } = await db.file.updateMany({ where: { uuid: file.uuid, ...stillStale }, data: { metadata } });
          if (count === 0) continue;
          await queue.enqueue(file.uuid);
          requeued.push(file.uuid);
        } else {
          const minutes = Math.round(options.staleAfterMs / 60_000);
          const reason = `processing did not finish: still processing ${minutes} min after being queued again, with no job left for it`;
          if (await failFile(file, reason, undefined, stillStale)) failed.push(file.uuid);
        }
      }
      if (requeued.length + failed.length > 0) log.warn({ requeued, failed }, 'stale file processing swept');
      return { requeued, failed };
    },

    /** Whether a processing run of the file is waiting, retrying or running. */
    queued: (fileUuid: string) => queue.hasLiveJob(fileUuid),

    /** Queues processing again: one file, or (no uuid) every file that can have variants. Returns how many were queued. */
    async regenerate(fileUuid?: string | null): Promise<number> {
      if (fileUuid) {
        const file = await db.file.findUnique({ where: { uuid: fileUuid }, select: { uuid: true, systemManaged: true } });
        if (!file || file.systemManaged) throw new NotFoundError('File');
        await queue.enqueue(file.uuid);
        return 1;
      }
      const candidates = await db.file.findMany({
        where: { systemManaged: false, status: { not: 'trashed' }, fileType: { in: ['image', 'video', 'document'] } },
        select: { uuid: true, fileType: true, mimeType: true },
      });
      let queued = 0;
      for (const file of candidates) {
        if (processingKindOf(file) === null) continue;
        await queue.enqueue(file.uuid);
        queued++;
      }
      log.info({ queued }, 'variant regeneration queued');
      return queued;
    },
  };
}

export type MediaService = ReturnType<typeof createMediaService>;

export type MediaOptionOverrides = Partial<Omit<MediaOptions, 'tools'>> & { tools?: Partial<ToolPaths> };

/** The defaults with `overrides` applied (tests point tool paths elsewhere, shorten retries and bounds). */
export function mediaOptions(overrides: MediaOptionOverrides = {}): MediaOptions {
  return { ...DEFAULT_MEDIA_OPTIONS, ...overrides, tools: { ...DEFAULT_MEDIA_OPTIONS.tools, ...overrides.tools } };
}
