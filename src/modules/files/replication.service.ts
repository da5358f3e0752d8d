import type { Db } from '../../db/database.js';
import { Prisma } from '../../generated/prisma/client.js';
import type { Logger } from '../../logger.js';
import type { StorageDriver } from '../../storage/storage-driver.js';
import type { StorageKey } from '../../storage/storage-key.js';
import type { SettingsService } from '../settings/setting.service.js';
import { asCandidate, bucketsWithoutRoom, type BucketService, type BucketWithUsage } from './bucket.service.js';
import { clampCopies, selectBuckets } from './domain/select-buckets.js';
import { lockObjects, READABLE_COPY, type FileService } from './file.service.js';
import { bucketConnection, CONNECTION_OF_B } from './upload-rows.js';
import { mapLimit } from '../../util/map-limit.js';

/** Objects copied at once by a repair (copies wait on storage more than on this process). */
const REPAIR_CONCURRENCY = 8;

export type ReplicaShortfall = { instanceUuid: string; fileUuid: string; path: string; size: number; mimeType: string; copies: number };
export type RepairReport = { checked: number; copiesAdded: number; stillUnderReplicated: number };

/** Keeps every stored object at `storage_redundancy_copies` copies: reports shortfalls and copies objects back up. */
export function createReplicationService(deps: {
  db: Db;
  log: Logger;
  settings: SettingsService;
  buckets: BucketService;
  files: FileService;
}) {
  const { db, log, settings, buckets, files } = deps;

  async function target(): Promise<number> {
    return clampCopies(await settings.get('storage_redundancy_copies'));
  }

  /**
   * The completed instances with fewer readable copies than `copies` (active, in enabled buckets); `active_copies` is
   * kept by the database (V33, V36) and indexed for completed instances, so this reads the short ones only.
   */
  const shortInstances = (copies: number) => Prisma.sql`
    WITH short AS (
      SELECT i.uuid, i.file_uuid, i.file_name, i.size, i.mime_type, i.active_copies AS copies
        FROM phoenix_kit_file_instances i
       WHERE i.processing_status = 'completed' AND i.active_copies < ${copies})`;

  /** Instances (of non-system and system files alike) with fewer active copies than the target, at most `limit`. */
  async function shortfalls(limit = 10_000): Promise<ReplicaShortfall[]> {
    const rows = await db.$queryRaw<
      { uuid: string; file_uuid: string; file_name: string; size: bigint; mime_type: string; copies: number }[]
    >`${shortInstances(await target())} SELECT * FROM short ORDER BY uuid LIMIT ${limit}`;
    return rows.map((r) => ({
      instanceUuid: r.uuid,
      fileUuid: r.file_uuid,
      path: r.file_name,
      size: Number(r.size),
      mimeType: r.mime_type,
      copies: r.copies,
    }));
  }

  /**
   * Files with an object below the target (a tile counts for the image it belongs to): how many, and the first
   * `listed` by uuid. One statement.
   */
  async function underReplicatedFiles(listed = 100): Promise<{ count: number; fileUuids: string[] }> {
    const [row] = await db.$queryRaw<{ count: number; file_uuids: string[] | null }[]>`
      ${shortInstances(await target())},
      files AS (SELECT DISTINCT coalesce(f.parent_file_uuid, f.uuid) AS uuid FROM short s JOIN phoenix_kit_files f ON f.uuid = s.file_uuid)
      SELECT (SELECT count(*)::int FROM files) AS count,
             (SELECT array_agg(uuid ORDER BY uuid) FROM (SELECT uuid FROM files ORDER BY uuid LIMIT ${listed}) first) AS file_uuids`;
    return { count: row?.count ?? 0, fileUuids: row?.file_uuids ?? [] };
  }

  return {
    target,
    shortfalls,
    underReplicatedFiles,

    /**
     * Copies under-replicated objects to enabled buckets that lack them (chosen like new uploads), reading from any
     * healthy copy, `REPAIR_CONCURRENCY` objects at a time. Safe to run concurrently: a location row is only added under
     * the object's lock, once.
     */
    async repair(): Promise<RepairReport> {
      const copies = await target();
      const pending = await shortfalls();
      let copiesAdded = 0;
      // each bucket is checked once per run (for a local one that also makes its directory): copies go only to buckets
      // that answer, so one that is down costs neither a failed write per object nor the copy another bucket could take
      const answering = new Map<string, Promise<boolean>>();
      const answers = (bucket: BucketWithUsage) => {
        let ok = answering.get(bucket.uuid);
        if (!ok) answering.set(bucket.uuid, (ok = buckets.health(bucket).then((h) => h.ok)));
        return ok;
      };
      await mapLimit(pending, REPAIR_CONCURRENCY, async (item) => {
        // copies in disabled buckets are not read, so they neither count nor serve as a source
        const present = await db.fileLocation.findMany({ where: { fileInstanceUuid: item.instanceUuid, ...READABLE_COPY }, select: { bucketUuid: true } });
        // another repair running at once may have brought it up to target since the list was read
        if (present.length >= copies) return;
        const have = new Set(present.map((p) => p.bucketUuid));
        const missing = (await buckets.enabledWithUsage()).filter((b) => !have.has(b.uuid));
        const candidates = (await Promise.all(missing.map(async (b) => ((await answers(b)) ? b : null)))).filter(
          (b): b is BucketWithUsage => b !== null,
        );
        const selection = selectBuckets(
          candidates.map(asCandidate),
          { fileSize: item.size, copies: copies - present.length },
        );
        if (selection.kind === 'none' || present.length === 0) return;
        for (const { row: bucket } of selection.buckets) {
          // the copy written here, until a row points at it: if none ends up doing so (the file was deleted meanwhile),
          // it goes again, unless something else references that object in that bucket
          let written = false;
          let added = false;
          let repointed = false;
          let driver: StorageDriver | null = null;
          try {
            const source = await files.open({ uuid: item.instanceUuid, fileName: item.path, size: item.size });
            driver = buckets.driverFor(bucket);
            // an object of another size there is a damaged copy (marked failed by a read): it is written over
            const whole = async () => (await driver!.stat(item.path as StorageKey))?.size === item.size;
            if (!(await whole())) {
              await driver.put(item.path as StorageKey, source.stream, { contentType: item.mimeType, size: item.size });
              written = true;
            } else {
              source.stream.destroy();
            }
            added = await db.$transaction(async (tx) => {
              await lockObjects(tx, [item.path]);
              // the bucket still leads where the copy was written (an admin may re-point an empty bucket meanwhile)
              const [current] = await tx.$queryRaw<{ same: boolean }[]>`
                SELECT ${CONNECTION_OF_B} = ${bucketConnection(bucket)}::jsonb AS same
                  FROM phoenix_kit_buckets AS b WHERE b.uuid = ${bucket.uuid}::uuid FOR KEY SHARE`;
              repointed = !current?.same;
              if (repointed) return false;
              // an object that was already there may have been swept since it was seen: only a present one is recorded
              if (!written && !(await whole())) return false;
              // repairs (and uploads) running at once may have filled the bucket since it was chosen
              if ((await bucketsWithoutRoom(tx, [bucket], item.size)).size > 0) return false;
              const existing = await tx.fileLocation.findFirst({
                where: { fileInstanceUuid: item.instanceUuid, bucketUuid: bucket.uuid },
              });
              if (existing?.status === 'active') return false;
              // the object's lock serialises repairs of it: one that reached the target meanwhile leaves nothing to add
              const active = await tx.fileLocation.count({ where: { fileInstanceUuid: item.instanceUuid, ...READABLE_COPY } });
              if (active >= copies) return false;
              if (existing) {
                // a copy marked failed earlier is whole again: reuse its row
                await tx.fileLocation.update({ where: { uuid: existing.uuid }, data: { status: 'active', lastVerifiedAt: new Date() } });
                return true;
              }
              await tx.fileLocation.create({
                data: { fileInstanceUuid: item.instanceUuid, bucketUuid: bucket.uuid, path: item.path, priority: bucket.priority },
              });
              return true;
            });
            if (added) copiesAdded++;
          } catch (error) {
            log.warn({ err: error, instance: item.instanceUuid, bucket: bucket.uuid }, 'repair copy failed');
          }
          if (written && repointed) {
            // nothing can point at the place the bucket led to before: remove the copy there
            await driver?.delete(item.path as StorageKey).catch((error: unknown) => log.warn({ err: error }, 'repair copy left behind'));
          } else if (written && !added) {
            await files.releaseObjects([{ bucketUuid: bucket.uuid, path: item.path }]);
          }
        }
      });
      const report = { checked: pending.length, copiesAdded, stillUnderReplicated: (await shortfalls()).length };
      log.info(report, 'storage repair finished');
      return report;
    },
  };
}

export type ReplicationService = ReturnType<typeof createReplicationService>;
