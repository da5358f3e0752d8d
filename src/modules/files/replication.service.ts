import type { Db } from '../../db/database.js';
import { NotFoundError, ValidationError } from '../../graphql/errors.js';
import { Prisma } from '../../generated/prisma/client.js';
import type { Logger } from '../../logger.js';
import type { StorageDriver } from '../../storage/storage-driver.js';
import type { StorageKey } from '../../storage/storage-key.js';
import type { SettingsService } from '../settings/setting.service.js';
import { asCandidate, bucketsWithoutRoom, type BucketService, type BucketWithUsage } from './bucket.service.js';
import { clampCopies, selectBuckets } from './domain/select-buckets.js';
import { COPY_ORDER, lockObjects, OBJECT_LOCK_TX, READABLE_COPY, type FileService } from './file.service.js';
import { bucketConnection, CONNECTION_OF_B } from './upload-rows.js';
import { mapLimit } from '../../util/map-limit.js';

/** Objects copied at once by a repair (copies wait on storage more than on this process). */
const REPAIR_CONCURRENCY = 8;

/** Short instances one repair run takes on. */
const REPAIR_LIST = 10_000;

/** Copies a drain looks at (and locks) per transaction. */
const DRAIN_BATCH = 500;

/** Copies elsewhere a drain checks in storage at once. */
const DRAIN_CHECKS = 8;

export type ReplicaShortfall = { instanceUuid: string; fileUuid: string; path: string; size: number; mimeType: string; copies: number };
export type RepairReport = { checked: number; copiesAdded: number; stillUnderReplicated: number };
export type DrainReport = { copiesAdded: number; removed: number; remaining: number };

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
   * kept by the database (V33, V36) and indexed for completed instances, so this reads the short ones only. `scope`
   * narrows them further (a condition on `i`).
   */
  const shortInstances = (copies: number, scope: Prisma.Sql = Prisma.empty) => Prisma.sql`
    WITH short AS (
      SELECT i.uuid, i.file_uuid, i.file_name, i.size, i.mime_type, i.active_copies AS copies
        FROM phoenix_kit_file_instances i
       WHERE i.processing_status = 'completed' AND i.active_copies < ${copies} ${scope})`;

  /**
   * Instances (of non-system and system files alike) with fewer active copies than the target, at most `limit`, oldest
   * first. `repairable`: only those with a readable copy to copy from (those without wait for a bucket to be enabled
   * again, and must not fill a repair's list); `inBucket`: only those with a copy in that bucket.
   */
  async function shortfalls(limit = REPAIR_LIST, only: { repairable?: boolean; inBucket?: string } = {}): Promise<ReplicaShortfall[]> {
    const repairable = only.repairable ? Prisma.sql`AND i.active_copies > 0` : Prisma.empty;
    const inBucket = only.inBucket
      ? Prisma.sql`AND EXISTS (SELECT 1 FROM phoenix_kit_file_locations l WHERE l.file_instance_uuid = i.uuid AND l.bucket_uuid = ${only.inBucket}::uuid)`
      : Prisma.empty;
    const rows = await db.$queryRaw<
      { uuid: string; file_uuid: string; file_name: string; size: bigint; mime_type: string; copies: number }[]
    >`${shortInstances(await target(), Prisma.sql`${repairable} ${inBucket}`)} SELECT * FROM short ORDER BY uuid LIMIT ${limit}`;
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

  /**
   * Copies under-replicated objects to enabled buckets that lack them (chosen like new uploads), reading from any
   * healthy copy, `REPAIR_CONCURRENCY` objects at a time; with `inBucket`, only those with a copy in that bucket. Safe
   * to run concurrently: a location row is only added under the object's lock, once.
   */
  async function repair(inBucket?: string): Promise<RepairReport> {
    const copies = await target();
    const pending = await shortfalls(REPAIR_LIST, { repairable: true, inBucket });
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
          }, OBJECT_LOCK_TX);
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
  }

  /**
   * The instances among `instanceUuids` whose bytes are present, whole, in `copies` readable copies (checked in their
   * storage, not taken from the rows). A copy found missing or of another size is marked failed, as a read would.
   */
  async function presentElsewhere(instanceUuids: string[], copies: number): Promise<Set<string>> {
    const rows = await db.fileLocation.findMany({
      where: { fileInstanceUuid: { in: instanceUuids }, ...READABLE_COPY },
      select: { uuid: true, path: true, fileInstanceUuid: true, bucket: true, fileInstance: { select: { size: true } } },
      orderBy: COPY_ORDER,
    });
    const byInstance = new Map<string, typeof rows>();
    for (const row of rows) byInstance.set(row.fileInstanceUuid, [...(byInstance.get(row.fileInstanceUuid) ?? []), row]);
    const present = new Set<string>();
    await mapLimit([...byInstance], DRAIN_CHECKS, async ([instanceUuid, candidates]) => {
      let found = 0;
      for (const copy of candidates) {
        if (found >= copies) break;
        // a bucket that does not answer proves nothing either way: that copy is not counted
        const stat = await buckets.driverFor(copy.bucket).stat(copy.path as StorageKey).catch(() => undefined);
        if (stat === undefined) continue;
        if (stat !== null && stat.size === Number(copy.fileInstance.size)) {
          found++;
        } else {
          await files.markCopyFailed({ uuid: copy.uuid, bucketUuid: copy.bucket.uuid });
        }
      }
      if (found >= copies) present.add(instanceUuid);
    });
    return present;
  }

  /**
   * Empties a disabled bucket so it can be deleted: repairs of the files with copies there first write what is short
   * to enabled buckets (a disabled bucket's copies are not read and do not count), then each copy in the bucket is
   * removed once its bytes are present, whole, in the target number of readable copies elsewhere (checked in their
   * storage), its bytes going when no row points at them any more. Copies short of that (no room, buckets down, a copy
   * elsewhere found missing) stay and are counted in `remaining`; running it again later goes on. Removal is under the
   * objects' locks, as repairs and uploads add copies; a bucket enabled meanwhile is left as it is from then on.
   */
  async function drain(bucketUuid: string): Promise<DrainReport> {
    const bucket = await db.bucket.findUnique({ where: { uuid: bucketUuid }, select: { enabled: true } });
    if (!bucket) throw new NotFoundError('Bucket');
    if (bucket.enabled) {
      throw new ValidationError('Only a disabled bucket can be drained', [
        { path: 'uuid', message: "disable the bucket first: an enabled bucket's copies are read and counted" },
      ]);
    }
    let copiesAdded = 0;
    for (;;) {
      const run = await repair(bucketUuid);
      copiesAdded += run.copiesAdded;
      if (run.copiesAdded === 0 || run.checked < REPAIR_LIST) break;
    }
    const copies = await target();
    let removed = 0;
    for (let after: string | undefined; ; ) {
      const batch = await db.fileLocation.findMany({
        where: { bucketUuid, ...(after ? { uuid: { gt: after } } : {}) },
        orderBy: { uuid: 'asc' },
        take: DRAIN_BATCH,
        select: { uuid: true, path: true, fileInstanceUuid: true },
      });
      if (batch.length === 0) break;
      after = batch.at(-1)!.uuid;
      const present = await presentElsewhere([...new Set(batch.map((l) => l.fileInstanceUuid))], copies);
      const candidates = batch.filter((l) => present.has(l.fileInstanceUuid));
      if (candidates.length === 0) continue;
      const gone = await db.$transaction(async (tx) => {
        await lockObjects(tx, candidates.map((l) => l.path));
        // held until commit: the bucket cannot be switched on between the check and the removal
        const [state] = await tx.$queryRaw<{ enabled: boolean }[]>`
          SELECT enabled FROM phoenix_kit_buckets WHERE uuid = ${bucketUuid}::uuid FOR SHARE`;
        if (!state || state.enabled) return null;
        // the bucket is disabled, so an instance's active_copies are its readable copies elsewhere (a copy marked
        // failed since it was checked no longer counts)
        return tx.$queryRaw<{ uuid: string; path: string }[]>`
          DELETE FROM phoenix_kit_file_locations l
           USING phoenix_kit_file_instances i
           WHERE l.uuid = ANY(${candidates.map((c) => c.uuid)}::uuid[]) AND l.bucket_uuid = ${bucketUuid}::uuid
             AND i.uuid = l.file_instance_uuid AND i.active_copies >= ${copies}
          RETURNING l.uuid, l.path`;
      }, OBJECT_LOCK_TX);
      if (gone === null) break;
      removed += gone.length;
      await files.releaseObjects(gone.map((l) => ({ bucketUuid, path: l.path })));
    }
    const report = { copiesAdded, removed, remaining: await db.fileLocation.count({ where: { bucketUuid } }) };
    log.info({ bucket: bucketUuid, ...report }, 'bucket drained');
    return report;
  }

  return { target, shortfalls, underReplicatedFiles, repair, drain };
}

export type ReplicationService = ReturnType<typeof createReplicationService>;
