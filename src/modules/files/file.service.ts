import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GraphQLError } from 'graphql';
import type { Db } from '../../db/database.js';
import { driverErrorCode, isForeignKeyViolation, LOCK_NOT_AVAILABLE } from '../../db/driver-errors.js';
import type { Viewer } from '../../graphql/context.js';
import { NotFoundError } from '../../graphql/errors.js';
import type { Bucket, File, Prisma } from '../../generated/prisma/client.js';
import type { Logger } from '../../logger.js';
import type { StorageDriver } from '../../storage/storage-driver.js';
import { StorageRangeNotSatisfiableError, StorageUnavailableError } from '../../storage/storage-errors.js';
import { storageKey, type StorageKey } from '../../storage/storage-key.js';
import type { SettingsService } from '../settings/setting.service.js';
import { TRASH_RETENTION_MAX_DAYS } from '../settings/domain/validate-setting.js';
import { asCandidate, bucketsWithoutRoom, type BucketService, type BucketWithUsage } from './bucket.service.js';
import { uploadContentType } from './domain/classify.js';
import { detectType } from './domain/detect-type.js';
import { outagesLast } from './domain/outages.js';
import { sanitizeFileName } from './domain/file-name.js';
import { HashingStream } from './domain/hash-stream.js';
import { restoredStatus } from './domain/restore.js';
import { clampCopies, freeBytes, selectBuckets } from './domain/select-buckets.js';
import { BucketUnavailableError, FileInUseError, InvalidUploadError, UploadConflictError } from './file.errors.js';
import { initialStatusFor } from '../media/domain/media-kind.js';
import { mapLimit } from '../../util/map-limit.js';
import { bucketConnection, findStored, insertOriginal, relinkCopies, type CopyPlacement, type StoredFile } from './upload-rows.js';

const MiB = 1024 * 1024;

export type UploadSource = Readonly<{ filename: string; mimetype: string; createReadStream(): Readable }>;
export type UploadResult = { file: StoredFile; duplicate: boolean };
type Target = { bucket: BucketWithUsage; driver: StorageDriver };
type StoredObject = { bucketUuid: string; path: string };
/** A copy reads may use (the same filter and order everywhere a copy is read). */
export type ReadableCopy = { uuid: string; bucketUuid: string; path: string; bucket: Bucket };
export const READABLE_COPY = { status: 'active', bucket: { enabled: true } } satisfies Prisma.FileLocationWhereInput;
export const COPY_ORDER = [{ priority: 'asc' }, { bucket: { priority: 'asc' } }] satisfies Prisma.FileLocationOrderByWithRelationInput[];


/**
 * Transactions that take objects' locks: one may wait for a deletion that holds them while it removes bytes from slow
 * storage, so they allow far more than Prisma's default 5 s.
 */
export const OBJECT_LOCK_TX = { timeout: 120_000, maxWait: 60_000 } as const;

/** Objects released per transaction after a deletion, and deleted from storage at once within it. */
const RELEASE_BATCH = 200;
const RELEASE_CONCURRENCY = 16;

const placement = (t: Target): CopyPlacement => ({ bucketUuid: t.bucket.uuid, priority: t.bucket.priority, connection: bucketConnection(t.bucket) });


/** Content-addressed key of a stored original: identical bytes share one object per bucket. */
export function blobKey(sha256: string): StorageKey {
  return storageKey('blobs', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

/** Per-user dedup key (product.md §5): sha256 of the user's uuid text followed by the content checksum. */
export function userFileChecksum(userUuid: string, fileChecksum: string): string {
  return createHash('sha256').update(`${userUuid}${fileChecksum}`).digest('hex');
}

/** Serialises every decision about one stored object (promote, reference, delete) across processes. */
export async function lockObjects(tx: Prisma.TransactionClient, paths: Iterable<string>): Promise<void> {
  const keys = [...new Set(paths)].sort().map((path) => `phoenix_kit_object:${path}`);
  if (keys.length === 0) return;
  // one statement however many objects (a pyramid has thousands); unnest yields the keys, and so takes the locks, in order
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(${keys}::text[]) AS k`;
}

/** Queues the processing job (variants, metadata) of a stored file; absent: files are `active` at once. */
export type FileProcessingQueue = { enqueue(fileUuid: string): Promise<unknown> };

export type FileServiceDeps = {
  db: Db;
  log: Logger;
  settings: SettingsService;
  buckets: BucketService;
  processing?: FileProcessingQueue;
  /** Config `UPLOAD_COPY_GRACE_MS`: see `writeToTargets`. */
  copyGraceMs?: number;
};

/** How long copies still being written get once the body has been read and another copy landed. */
const copyGrace = (minimumMs: number, bodyReadMs: number) => Math.max(minimumMs, bodyReadMs);

/** A file row gone between reading and writing it (deleted meanwhile) is a missing file. */
function deletedMeanwhile(error: unknown): never {
  if ((error as { code?: string }).code === 'P2025') throw new NotFoundError('File');
  throw error;
}

/** What the parts of an upload request other than the file take at most, as far as choosing buckets goes. */
export const MULTIPART_SLACK_BYTES = 64 * 1024;

export function createFileService({ db, log, settings, buckets, processing, copyGraceMs = 10_000 }: FileServiceDeps) {
  /** Bytes this process's uploads are writing to each bucket right now (by Content-Length), counted as used. */
  const reserved = new Map<string, number>();
  /** When a bucket's storage last failed a read in this process: its copies are read after the others for a while. */
  const readFailures = new Map<string, number>();
  async function maxUploadBytes(): Promise<number> {
    const mb = Number.parseInt((await settings.get('storage_max_upload_size_mb')) ?? '', 10);
    return (Number.isFinite(mb) && mb > 0 ? mb : 500) * MiB;
  }

  /**
   * Removes the bytes of `objects` that no location row points at any more. Runs after the deleting transaction has
   * committed, under the same per-object locks uploads take, so an upload cannot start referencing an object between
   * the check and the delete. `RELEASE_BATCH` objects per transaction: one statement locks them, one finds those still
   * referenced; the rest are deleted from their buckets, `RELEASE_CONCURRENCY` at a time. Returns how many went.
   */
  async function releaseObjects(objects: readonly StoredObject[]): Promise<number> {
    let removed = 0;
    for (let start = 0; start < objects.length; start += RELEASE_BATCH) {
      const batch = objects.slice(start, start + RELEASE_BATCH);
      try {
        await db.$transaction(
          async (tx) => {
            await lockObjects(tx, batch.map((o) => o.path));
            const referenced = await tx.fileLocation.findMany({
              where: { path: { in: [...new Set(batch.map((o) => o.path))] } },
              select: { bucketUuid: true, path: true },
            });
            const kept = new Set(referenced.map((l) => `${l.bucketUuid}/${l.path}`));
            const free = batch.filter((o) => !kept.has(`${o.bucketUuid}/${o.path}`));
            if (free.length === 0) return;
            const rows = await tx.bucket.findMany({ where: { uuid: { in: [...new Set(free.map((o) => o.bucketUuid))] } } });
            const byUuid = new Map(rows.map((b) => [b.uuid, b]));
            await mapLimit(free, RELEASE_CONCURRENCY, async (object) => {
              const bucket = byUuid.get(object.bucketUuid);
              if (!bucket) return; // the bucket is gone, and its bytes with it
              try {
                await buckets.driverFor(bucket).delete(object.path as StorageKey);
                removed++;
              } catch (error) {
                log.error({ err: error, ...object }, 'could not remove stored bytes; they will be retried by the storage sweep');
              }
            });
          },
          OBJECT_LOCK_TX,
        );
      } catch (error) {
        log.error({ err: error, objects: batch.length }, 'could not remove stored bytes; they will be retried by the storage sweep');
      }
    }
    return removed;
  }

  /** Deletes `key` from every target's storage, ignoring failures (the storage sweep removes leftovers). */
  async function dropObjects(targets: readonly Target[], key: StorageKey): Promise<void> {
    await Promise.all(
      targets.map((t) =>
        t.driver.delete(key).catch((error) => log.warn({ err: error, bucket: t.bucket.uuid, key }, 'stored object left behind')),
      ),
    );
  }

  /**
   * Streams one body to every target at once (one read, one hash): each target gets its own PassThrough; a target
   * that fails is dropped and the others go on; when all have failed the body is only hashed.
   *
   * Once the body has been read and one copy has landed in a bucket with room for it, the copies still being written
   * get `copyGrace` (as long again as reading the body took, at least `copyGraceMs`); those still unfinished then are
   * given up like failed ones (the file is under-replicated and repaired later), and removed if they land after all.
   * So a bucket that takes connections and never answers costs an upload seconds, not the storage client's timeouts
   * (3 tries of 30 s).
   */
  async function writeToTargets(body: Readable, hasher: HashingStream, targets: readonly Target[], key: StorageKey, contentType: string) {
    const started = performance.now();
    let alive = targets.length;
    let giveUp!: () => void;
    const givenUp = new Promise<null>((resolve) => (giveUp = () => resolve(null)));
    let oneLanded!: () => void;
    const landedOne = new Promise<void>((resolve) => (oneLanded = resolve));
    const branches = targets.map((target) => {
      const stream = new PassThrough({ highWaterMark: MiB });
      // the driver listens once it starts writing; until then an error must not go unhandled
      stream.on('error', () => undefined);
      return { target, stream };
    });
    hasher.on('error', (error) => branches.forEach((b) => b.stream.destroy(error)));
    for (const branch of branches) hasher.pipe(branch.stream);
    if (branches.length === 0) hasher.resume(); // no target: hashed only
    const dropBranch = (stream: PassThrough) => {
      hasher.unpipe(stream);
      stream.destroy();
      // with every target gone the body is still read and hashed: bytes already stored need no bucket
      if (--alive === 0) hasher.resume();
    };
    const writes = branches.map(async ({ target, stream }) => {
      const put = target.driver.put(key, stream, { contentType });
      try {
        if ((await Promise.race([put, givenUp])) === null) {
          dropBranch(stream);
          log.warn({ bucket: target.bucket.uuid, key }, 'bucket write given up: still unfinished well after the other copies landed');
          put.then(
            () => dropObjects([target], key),
            () => undefined,
          );
          return null;
        }
        // only a copy that can be kept starts the others' grace: one in a bucket the file turns out to overflow is dropped
        if (freeBytes(asCandidate(target.bucket)) >= (hasher.digest?.size ?? 0)) oneLanded();
        return target;
      } catch (error) {
        dropBranch(stream);
        log.warn({ err: error, bucket: target.bucket.uuid }, 'bucket write failed');
        return null;
      }
    });
    const source = pipeline(body, hasher).then(
      () => null,
      (error: unknown) => error,
    );
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    void Promise.all([source, landedOne]).then(([error]) => {
      if (error === null && !settled) timer = setTimeout(giveUp, copyGrace(copyGraceMs, performance.now() - started));
    });
    const [landed, sourceError] = await Promise.all([Promise.all(writes), source]);
    settled = true;
    clearTimeout(timer);
    return { landed: landed.filter((t): t is Target => t !== null), sourceError };
  }

  /**
   * Deletes a file, its variants and its system children (tiles), or returns null when it is gone or, with
   * `trashedBefore`, no longer a file trashed before then (checked under the row lock: a restore wins over the prune).
   * References are checked in the same transaction (an attached file is refused with FileInUseError); bytes go after
   * commit, only where no row points at them.
   */
  async function removeFile(uuid: string, trashedBefore: Date | null): Promise<File | null> {
    let objects: StoredObject[] = [];
    const file = await db.$transaction(
      async (tx) => {
        // hold the file row first: tile writers lock it too, so no child appears between reading locations and deleting
        const [row] = await tx.$queryRaw<{ status: string; trashed_at: Date | null }[]>`
          SELECT status, trashed_at FROM phoenix_kit_files WHERE uuid = ${uuid}::uuid FOR UPDATE`;
        if (!row) return null;
        if (trashedBefore && !(row.status === 'trashed' && row.trashed_at && row.trashed_at < trashedBefore)) return null;
        const readLocations = () =>
          tx.fileLocation.findMany({
            where: { fileInstance: { file: { OR: [{ uuid }, { parentFileUuid: uuid }] } } },
            select: { bucketUuid: true, path: true },
          });
        // a repair (or a re-upload) records a copy under the object lock: read the copies again once the locks are
        // held, or a copy recorded while this waited would lose its row with the file but keep its bytes
        let locations = await readLocations();
        const locked = new Set<string>();
        while (locations.some((l) => !locked.has(l.path))) {
          await lockObjects(tx, locations.map((l) => l.path));
          for (const l of locations) locked.add(l.path);
          locations = await readLocations();
        }
        const attached = await tx.commentMedia.count({ where: { fileUuid: uuid } });
        if (attached > 0) throw new FileInUseError(attached);
        const deleted = await tx.file.delete({ where: { uuid } }).catch((error: unknown) => {
          const code = (error as { code?: string }).code;
          if (code === 'P2025') throw new NotFoundError('File');
          if (code === 'P2003') throw new FileInUseError(1); // attached between the check and the delete
          throw error;
        });
        objects = [...new Map(locations.map((l) => [`${l.bucketUuid}/${l.path}`, l])).values()];
        return deleted;
      },
      { timeout: 60_000, maxWait: 60_000 },
    );
    if (file) {
      await releaseObjects(objects);
      log.info({ fileUuid: uuid, objects: objects.length }, 'file deleted');
    }
    return file;
  }

  /** Moves the written temp object to `to` in every target at once; returns the targets where it arrived. */
  async function promote(targets: readonly Target[], from: StorageKey, to: StorageKey): Promise<Target[]> {
    const moved = await Promise.all(
      targets.map((t) =>
        t.driver.move(from, to).then(
          () => t,
          (error: unknown) => {
            log.warn({ err: error, bucket: t.bucket.uuid, key: to }, 'copy could not be stored; the file is under-replicated');
            return null;
          },
        ),
      ),
    );
    return moved.filter((t): t is Target => t !== null);
  }

  return {
    blobKey,
    releaseObjects,

    /**
     * Stores an upload: picks buckets (product.md §5), streams the body to all of them while hashing, then either
     * returns the viewer's existing file with the same bytes (`duplicate`), links to bytes another user already stored,
     * or promotes the new object to its content-addressed key. Memory stays bounded by the stream buffers.
     */
    async upload(viewer: Viewer, source: UploadSource, sizeHint: number): Promise<UploadResult> {
      let input: Readable;
      try {
        input = source.createReadStream();
      } catch {
        throw new InvalidUploadError('The request carries no readable file');
      }
      const [maxBytes, copiesSetting, candidates] = await Promise.all([
        maxUploadBytes(),
        settings.get('storage_redundancy_copies'),
        buckets.enabledWithUsage(),
      ]);
      // what uploads of this process are writing right now counts as used: simultaneous ones spread over the buckets
      // instead of all choosing the same one (the room is checked again when the copy is recorded)
      const pool = candidates.map((c) => asCandidate({ ...c, usedBytes: c.usedBytes + (reserved.get(c.uuid) ?? 0) }));
      const copies = clampCopies(copiesSetting);
      // the file is the request less its other parts (operations, map, part headers, boundaries: rarely above
      // MULTIPART_SLACK_BYTES). Without a Content-Length the size is unknown: prefer buckets that can take the largest
      // allowed upload, else any enabled one. Either way the real size is checked against capacity once it is known.
      const estimate = sizeHint > 0 ? Math.min(Math.max(sizeHint - MULTIPART_SLACK_BYTES, 0), maxBytes) : 0;
      let selection = selectBuckets(pool, { fileSize: sizeHint > 0 ? estimate : maxBytes, copies });
      if (selection.kind === 'none' && sizeHint <= 0) selection = selectBuckets(pool, { fileSize: 0, copies });
      const targets: Target[] = [];
      // the whole request at most: others keep room for it (they may then pass a bucket by a little; never overfill it)
      const reservation = sizeHint > 0 ? Math.min(sizeHint, maxBytes) : 0;
      const reservedIn = selection.kind === 'none' ? [] : selection.buckets.map((b) => b.uuid);
      for (const uuid of reservedIn) reserved.set(uuid, (reserved.get(uuid) ?? 0) + reservation);
      try {
        for (const { row } of selection.kind === 'none' ? [] : selection.buckets) {
          try {
            targets.push({ bucket: row, driver: buckets.driverFor(row) });
          } catch (error) {
            log.warn({ err: error, bucket: row.uuid }, 'bucket cannot be opened; skipped');
          }
        }
        // with nowhere to write, the body is still read and hashed: bytes already stored need no bucket (a duplicate, or
        // another user's bytes); anything else is refused once the hash is known
        let unavailable: string | null = null;
        if (selection.kind === 'none') unavailable = selection.reason === 'no-capacity' ? 'all buckets are full' : 'no enabled bucket';
        else if (targets.length === 0) unavailable = 'no selected bucket could be opened';

        let detected: Awaited<ReturnType<typeof detectType>>;
        try {
          detected = await detectType(input);
        } catch {
          throw new InvalidUploadError('The upload was interrupted');
        }
        const originalFileName = sanitizeFileName(source.filename);
        const { mime: mimeType, ext, fileType } = uploadContentType(detected.type, originalFileName, detected.text);
        const hasher = new HashingStream({ maxBytes });
        const tempKey = storageKey('tmp', randomUUID());

        const { landed, sourceError } = await writeToTargets(detected.stream, hasher, targets, tempKey, mimeType);
        if (sourceError || !hasher.digest) {
          await dropObjects(landed, tempKey);
          if ((sourceError as { code?: string } | null)?.code === 'FILE_TOO_LARGE') throw sourceError;
          throw new InvalidUploadError('The upload was interrupted');
        }
        const { sha256, size } = hasher.digest;
        // the size was only estimated when buckets were chosen: drop copies in buckets the file would overflow
        const overflowing = landed.filter((t) => freeBytes(asCandidate(t.bucket)) < size);
        if (overflowing.length > 0) {
          await dropObjects(overflowing, tempKey);
          landed.splice(0, landed.length, ...landed.filter((t) => !overflowing.includes(t)));
        }
        if (landed.length === 0) unavailable ??= overflowing.length > 0 ? 'all buckets are full' : 'every bucket failed while writing';
        const key = blobKey(sha256);
        const dedupKey = userFileChecksum(viewer.uuid, sha256);
        // 'processing' until the job has made the variants / read the metadata; files that get neither are done now
        const status = processing ? initialStatusFor({ fileType, mimeType }) : 'active';

        // every bucket a promotion was tried in: on failure its object at `key` goes unless a row points at it
        let tried: StoredObject[] = [];
        let unmoved: Target[] = [];
        let stale: Target[] = [];
        let full: Target[] = [];
        /**
         * Promotes the temp object in every target; those where that fails are dropped, and at least one must work. A
         * copy is then kept only where its bucket still has room (uploads running at once may have filled it since it
         * was chosen): the room lock is held from that check to the commit, not through the moves.
         */
        const promoteTracked = async (tx: Prisma.TransactionClient, targets: readonly Target[]) => {
          if (targets.length === 0) throw new BucketUnavailableError(unavailable ?? 'no bucket holds the upload');
          tried = targets.map((t) => ({ bucketUuid: t.bucket.uuid, path: key }));
          const moved = await promote(targets, tempKey, key);
          unmoved = targets.filter((t) => !moved.includes(t));
          if (moved.length === 0) throw new BucketUnavailableError('every bucket failed while storing');
          const noRoom = await bucketsWithoutRoom(tx, moved.map((t) => t.bucket), size);
          full = moved.filter((t) => noRoom.has(t.bucket.uuid));
          const kept = moved.filter((t) => !noRoom.has(t.bucket.uuid));
          if (kept.length === 0) throw new BucketUnavailableError('all buckets are full');
          return kept;
        };
        try {
          const result = await db.$transaction(
            async (tx) => {
              await lockObjects(tx, [key]);
              const { mine, donor } = await findStored(tx, dedupKey, key, sha256);
              if (mine) {
                // the same bytes again bring a trashed file back, as restoreFile would: a duplicate is never a trashed file.
                // A deletion takes the file row, then the object locks; this holds the object lock, so it does not wait for
                // the row (that could deadlock): a file being deleted right now is an UploadConflictError
                const restored = restoredStatus({ metadata: mine.metadata, needsProcessing: status === 'processing' });
                if (mine.status === 'trashed') {
                  await tx.$queryRaw`SELECT 1 FROM phoenix_kit_files WHERE uuid = ${mine.uuid}::uuid FOR UPDATE NOWAIT`;
                  await tx.file.update({ where: { uuid: mine.uuid }, data: { status: restored, trashedAt: null } });
                }
                const file = { uuid: mine.uuid, status: mine.status === 'trashed' ? restored : mine.status };
                if (mine.activeCopies > 0 || !mine.originalUuid) return { file, duplicate: true, reused: true };
                // every stored copy of the file is lost: the bytes just received put it back
                const moved = await promoteTracked(tx, landed);
                const recorded = await relinkCopies(tx, mine.originalUuid, key, moved.map(placement));
                stale = moved.filter((t) => !recorded.includes(t.bucket.uuid));
                if (recorded.length === 0) throw new BucketUnavailableError('the selected buckets changed during the upload; try again');
                return { file, duplicate: true, reused: false };
              }
              // bytes another user already stored: link to their copies, store nothing new; else promote the new object
              const locations = donor.length > 0 ? donor : (await promoteTracked(tx, landed)).map(placement);
              const file = await insertOriginal(tx, {
                originalFileName,
                fileName: `${sha256}.${ext}`,
                filePath: key.slice(0, key.lastIndexOf('/')),
                mimeType,
                fileType,
                ext,
                sha256,
                dedupKey,
                size,
                status,
                userUuid: viewer.uuid,
                key,
                locations,
              });
              // a bucket re-pointed or removed since the bytes went through it: that copy is not recorded, and goes
              if (donor.length === 0) {
                stale = landed.filter((t) => !unmoved.includes(t) && !full.includes(t) && !file.buckets.includes(t.bucket.uuid));
              }
              if (file.buckets.length === 0) throw new BucketUnavailableError('the selected buckets changed during the upload; try again');
              return { file: { uuid: file.uuid, status: file.status }, duplicate: false, reused: donor.length > 0 };
            },
            OBJECT_LOCK_TX,
          );
          if (result.reused) await dropObjects(landed, tempKey);
          if (unmoved.length > 0) {
            // copies that could not be promoted: the file is under-replicated, and their leftovers go
            await dropObjects(unmoved, tempKey);
            await releaseObjects(unmoved.map((t) => ({ bucketUuid: t.bucket.uuid, path: key })));
          }
          // copies promoted into a bucket that had no room left: not recorded, so they go unless a row points there
          if (full.length > 0) await releaseObjects(full.map((t) => ({ bucketUuid: t.bucket.uuid, path: key })));
          // through the driver the bytes were written with: the bucket row no longer leads there
          if (stale.length > 0) await dropObjects(stale, key);
          log.info({ fileUuid: result.file.uuid, size, copies: landed.length, duplicate: result.duplicate }, 'file stored');
          if (processing && result.file.status === 'processing') {
            // after commit: the job must find the row; a lost enqueue is picked up by the stale-processing sweeper
            await processing.enqueue(result.file.uuid).catch((error: unknown) => {
              log.error({ err: error, fileUuid: result.file.uuid }, 'file processing not queued; the sweeper will retry');
            });
          }
          return { file: result.file, duplicate: result.duplicate };
        } catch (error) {
          // nothing committed: remove the temps and any object promoted for this upload that no row references (in a
          // bucket that leads elsewhere now, through the driver that wrote it)
          await dropObjects(landed, tempKey);
          await dropObjects(stale, key);
          await releaseObjects(tried.filter((o) => !stale.some((t) => t.bucket.uuid === o.bucketUuid)));
          if (isForeignKeyViolation(error)) throw new BucketUnavailableError('a selected bucket was removed during the upload; try again');
          if (driverErrorCode(error) === LOCK_NOT_AVAILABLE) throw new UploadConflictError();
          throw error;
        }
      } finally {
        for (const uuid of reservedIn) {
          const left = (reserved.get(uuid) ?? 0) - reservation;
          if (left > 0) reserved.set(uuid, left);
          else reserved.delete(uuid);
        }
      }
    },

    /**
     * The file if the viewer may see it: their own, or any for admins; system files and other users' are "missing".
     * `client`: the transaction to read it in, if any.
     */
    async visibleFile(viewer: Viewer, uuid: string, client: Prisma.TransactionClient = db): Promise<File> {
      const file = await client.file.findUnique({ where: { uuid } });
      if (!file || file.systemManaged || (!viewer.isAdmin && file.userUuid !== viewer.uuid)) throw new NotFoundError('File');
      return file;
    },

    /** Puts a file in the trash; trashing it again keeps the first `trashedAt` (the retention clock does not restart). */
    async trash(viewer: Viewer, uuid: string): Promise<File> {
      const file = await this.visibleFile(viewer, uuid);
      if (file.status === 'trashed') return file;
      return db.file.update({ where: { uuid: file.uuid }, data: { status: 'trashed', trashedAt: new Date() } }).catch(deletedMeanwhile);
    },

    async restore(viewer: Viewer, uuid: string): Promise<File> {
      const file = await this.visibleFile(viewer, uuid);
      if (file.status !== 'trashed') return file;
      const needsProcessing = Boolean(processing) && initialStatusFor(file) === 'processing';
      const status = restoredStatus({ metadata: file.metadata, needsProcessing });
      const restored = await db.file.update({ where: { uuid: file.uuid }, data: { status, trashedAt: null } }).catch(deletedMeanwhile);
      if (processing && status === 'processing') {
        // trashed before its processing ended: queued again (a job still waiting for it is not queued twice)
        await processing.enqueue(file.uuid).catch((error: unknown) => {
          log.error({ err: error, fileUuid: file.uuid }, 'file processing not queued; the sweeper will retry');
        });
      }
      return restored;
    },

    /**
     * Deletes a file, its variants and its system children (tiles). References are checked in the same transaction
     * (an attached file is refused with FileInUseError); bytes go after commit, only where no row points at them.
     */
    async remove(viewer: Viewer | null, uuid: string): Promise<File> {
      if (viewer) await this.visibleFile(viewer, uuid);
      const file = await removeFile(uuid, null);
      if (!file) throw new NotFoundError('File');
      return file;
    },

    /** Deletes trashed files older than `trash_retention_days` (default 30); returns how many went. */
    async pruneTrash(now = new Date()): Promise<number> {
      const stored = Number.parseInt((await settings.get('trash_retention_days')) ?? '', 10);
      // a value stored before it was bounded still gives a date the database can hold
      const days = Number.isFinite(stored) && stored >= 0 ? Math.min(stored, TRASH_RETENTION_MAX_DAYS) : 30;
      const cutoff = new Date(now.getTime() - days * 86_400_000);
      const expired = await db.file.findMany({
        where: { status: 'trashed', trashedAt: { lt: cutoff }, systemManaged: false },
        select: { uuid: true },
      });
      let pruned = 0;
      for (const { uuid } of expired) {
        try {
          // checked again under the row lock: a file restored since the list was read stays
          if (await removeFile(uuid, cutoff)) pruned++;
        } catch (error) {
          log.warn({ err: error, fileUuid: uuid }, 'trashed file not pruned');
        }
      }
      return pruned;
    },
    /**
     * Opens the bytes of one instance, trying its copies in priority order. The instance's size is read with its copies
     * (one statement): a copy that is missing or of another size (truncated, other bytes) is marked failed; one that
     * cannot be read now is skipped. With `size` (what the caller read of the instance before), an instance that has
     * changed since (a variant rendered again) is a StorageUnavailableError: nothing is marked, the caller tries again.
     */
    async open(instance: { uuid: string; fileName: string; size?: bigint | number }, range?: { start: number; end?: number }) {
      const locations = await db.fileLocation.findMany({
        where: { fileInstanceUuid: instance.uuid, ...READABLE_COPY },
        include: { bucket: true, fileInstance: { select: { size: true } } },
        relationLoadStrategy: 'join',
        orderBy: COPY_ORDER,
      });
      const recorded = locations[0] ? Number(locations[0].fileInstance.size) : undefined;
      if (instance.size !== undefined && recorded !== undefined && recorded !== Number(instance.size)) {
        throw new StorageUnavailableError('the instance changed while it was being opened; try again');
      }
      return this.openCopy(locations, recorded, range);
    },

    /** `copies` (in COPY_ORDER) in the order reads try them: those in a bucket that failed a read lately come last. */
    readOrder<T extends { bucketUuid: string }>(copies: readonly T[]): T[] {
      return outagesLast(copies, readFailures, Date.now());
    },

    /** A copy found missing or of another size in its storage: marked failed (not read, not counted; repair rewrites it). */
    async markCopyFailed(location: { uuid: string; bucketUuid: string }, code?: string) {
      await db.fileLocation.updateMany({ where: { uuid: location.uuid, status: 'active' }, data: { status: 'failed' } });
      log.warn({ location: location.uuid, bucket: location.bucketUuid, code }, 'stored copy missing or damaged; marked failed');
    },

    /** A bucket's storage failed a read (or a check before one): its copies are read last for a while. */
    noteOutage(bucketUuid: string) {
      readFailures.set(bucketUuid, Date.now());
    },

    /**
     * Opens the first readable of `copies` (readable copies of one instance, read in the same statement as its `size`,
     * in COPY_ORDER, tried in `readOrder`): a missing or damaged copy is marked failed, one that cannot be read now is
     * skipped. When none opens: the last error of a copy that may come back (an outage), else NotFoundError (no copy is
     * left to read).
     */
    async openCopy(copies: ReadableCopy[], size: number | undefined, range?: { start: number; end?: number }) {
      if (range && size !== undefined && range.start >= size) throw new StorageRangeNotSatisfiableError(size);
      let outage: unknown = null;
      for (const location of this.readOrder(copies)) {
        try {
          // inside the try: a bucket that cannot even be opened (a secret that no longer decrypts) is one more failed copy
          const driver = buckets.driverFor(location.bucket);
          const stream = await driver.get(location.path as StorageKey, range, size);
          readFailures.delete(location.bucketUuid);
          return { stream, bucket: location.bucket, driver, key: location.path as StorageKey };
        } catch (error) {
          const code = (error as { code?: string }).code;
          // a range within the recorded size (checked above) that the copy cannot satisfy: the copy is too short
          if (code === 'STORAGE_OBJECT_NOT_FOUND' || code === 'STORAGE_SIZE_MISMATCH' || code === 'STORAGE_RANGE_NOT_SATISFIABLE') {
            await this.markCopyFailed(location, code);
          } else {
            outage = error;
            this.noteOutage(location.bucketUuid);
            log.warn({ err: error, bucket: location.bucketUuid }, 'copy unreadable; trying the next one');
          }
        }
      }
      throw outage ?? new NotFoundError('File');
    },

    assertCanAdminister(viewer: Viewer) {
      if (!viewer.isAdmin) throw new GraphQLError('Not allowed', { extensions: { code: 'FORBIDDEN' } });
    },
  };
}

export type FileService = ReturnType<typeof createFileService>;
