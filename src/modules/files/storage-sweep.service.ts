import type { Db } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import { storageKey } from '../../storage/storage-key.js';
import { overlappingStorage } from '../../storage/storage-registry.js';
import type { BucketService } from './bucket.service.js';
import type { FileService } from './file.service.js';

/** Objects younger than this are left alone: an upload, a variant or a tile pyramid may be about to reference them. */
export const SWEEP_GRACE_MS = 24 * 60 * 60 * 1000;

/** Listed objects checked against `file_locations` per statement. */
const SWEEP_BATCH = 500;

/**
 * Where the server writes (originals and variants, temporary objects, tile pyramids): anything else in a bucket's
 * storage (files put there by hand, another program's data) is never looked at.
 */
export const SWEPT_PREFIXES = ['blobs', 'tmp', '_tiles'] as const;

export type SweepReport = { buckets: number; unreachable: number; shared: number; scanned: number; removed: number };

/**
 * The safety net under reference-safe deletion: bytes that no location row points at are removed. They are left by a
 * bucket that was down when its file was deleted, by a process that stopped between writing an object and committing
 * its row, or by an abandoned temporary object. Every bucket is listed (enabled or not) under `SWEPT_PREFIXES`;
 * candidates are checked in batches and removed through `releaseObjects`, which checks again under the uploads'
 * per-object locks; temp files of writes that never finished (older than the grace period too) go as well. Buckets
 * whose storage overlaps (the same directory, or one inside the other) are left alone.
 */
export function createStorageSweep(deps: { db: Db; log: Logger; buckets: BucketService; files: FileService }) {
  const { db, log, buckets, files } = deps;

  async function unreferenced(bucketUuid: string, paths: string[]): Promise<string[]> {
    const rows = await db.fileLocation.findMany({
      where: { bucketUuid, path: { in: paths } },
      select: { path: true },
      distinct: ['path'],
    });
    const referenced = new Set(rows.map((r) => r.path));
    return paths.filter((path) => !referenced.has(path));
  }

  return {
    /** Removes the unreferenced objects last modified more than `SWEEP_GRACE_MS` before `now`. */
    async sweep(now = new Date()): Promise<SweepReport> {
      const report: SweepReport = { buckets: 0, unreachable: 0, shared: 0, scanned: 0, removed: 0 };
      const cutoff = now.getTime() - SWEEP_GRACE_MS;
      const all = await db.bucket.findMany({ orderBy: { uuid: 'asc' } });
      // an object in storage two buckets share may be referenced through either: neither is swept (a row that cannot
      // work has no place, and is reported as unreachable below)
      const shared = overlappingStorage(buckets.placesOf(all));
      for (const bucket of all) {
        report.buckets++;
        if (shared.has(bucket.uuid)) {
          report.shared++;
          log.warn({ bucket: bucket.uuid }, 'bucket not swept: its storage overlaps another bucket\'s');
          continue;
        }
        const sweepBatch = async (paths: string[]) => {
          const orphans = await unreferenced(bucket.uuid, paths);
          if (orphans.length > 0) report.removed += await files.releaseObjects(orphans.map((path) => ({ bucketUuid: bucket.uuid, path })));
        };
        try {
          const driver = buckets.driverFor(bucket);
          let batch: string[] = [];
          for (const prefix of SWEPT_PREFIXES) {
            for await (const object of driver.list(storageKey(prefix))) {
              report.scanned++;
              if (object.modifiedAt.getTime() > cutoff) continue;
              batch.push(object.key);
              if (batch.length === SWEEP_BATCH) {
                await sweepBatch(batch);
                batch = [];
              }
            }
          }
          if (batch.length > 0) await sweepBatch(batch);
          // writes a stopped process never finished: no row can point at them
          for (const prefix of SWEPT_PREFIXES) report.removed += (await driver.removeStaleTemporaries?.(storageKey(prefix), new Date(cutoff))) ?? 0;
        } catch (error) {
          report.unreachable++;
          log.warn({ err: error, bucket: bucket.uuid }, 'bucket not swept; it is tried again on the next sweep');
        }
      }
      log.info(report, 'storage sweep finished');
      return report;
    },
  };
}

export type StorageSweep = ReturnType<typeof createStorageSweep>;
