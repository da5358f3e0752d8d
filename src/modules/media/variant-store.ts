import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Db } from '../../db/database.js';
import type { Bucket, Prisma } from '../../generated/prisma/client.js';
import { NotFoundError } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import { storageKey } from '../../storage/storage-key.js';
import type { BucketService } from '../files/bucket.service.js';
import { blobKey, lockObjects, type FileService } from '../files/file.service.js';

/** A bucket holding an active copy of the original: variants go to the same buckets. */
export type VariantTarget = Readonly<{ bucket: Bucket; priority: number }>;
export type RenderedVariant = Readonly<{
  path: string;
  sha256: string;
  size: number;
  width: number | null;
  height: number | null;
  mimeType: string;
  ext: string;
}>;
type StoredObject = { bucketUuid: string; path: string };

/** The per-object advisory lock file.service takes for promote/reference/delete decisions on a stored key. */
const lockObject = (tx: Prisma.TransactionClient, path: string) => lockObjects(tx, [path]);

const TX = { timeout: 120_000, maxWait: 60_000 };

/**
 * Variant rows and bytes. Bytes are content-addressed (`blobs/<sha…>`, like originals), so rendering the same variant
 * again lands on the same key; instance rows are upserted on (file_uuid, variant_name) and only written when
 * something differs, so processing a file twice changes nothing.
 */
export function createVariantStore(deps: { db: Db; log: Logger; buckets: BucketService; files: FileService }) {
  const { db, log, buckets, files } = deps;

  /** Rewrites an instance's locations to `wanted`; returns the objects it no longer points at. */
  async function syncLocations(
    tx: Prisma.TransactionClient,
    instanceUuid: string,
    current: readonly { uuid: string; bucketUuid: string; path: string; status: string; priority: number }[],
    wanted: readonly { bucketUuid: string; path: string; priority: number }[],
  ): Promise<StoredObject[]> {
    const same = (a: { bucketUuid: string; path: string }, b: { bucketUuid: string; path: string }) =>
      a.bucketUuid === b.bucketUuid && a.path === b.path;
    const dropped = current.filter((c) => !wanted.some((w) => same(c, w)));
    if (dropped.length > 0) await tx.fileLocation.deleteMany({ where: { uuid: { in: dropped.map((d) => d.uuid) } } });
    for (const w of wanted) {
      const have = current.find((c) => same(c, w));
      if (!have) await tx.fileLocation.create({ data: { fileInstanceUuid: instanceUuid, ...w, status: 'active' } });
      else if (have.status !== 'active' || have.priority !== w.priority) {
        await tx.fileLocation.update({ where: { uuid: have.uuid }, data: { status: 'active', priority: w.priority } });
      }
    }
    return dropped.map((d) => ({ bucketUuid: d.bucketUuid, path: d.path }));
  }

  return {
    /**
     * Stores a rendered variant on every target bucket (temporary key, then renamed to its content address under the
     * object lock) and records it `completed`. Succeeds when at least one bucket took it; throws (transient) when none did.
     */
    async store(fileUuid: string, variantName: string, targets: readonly VariantTarget[], out: RenderedVariant): Promise<void> {
      const key = blobKey(out.sha256);
      const temp = storageKey('tmp', randomUUID());
      const written = await Promise.all(
        targets.map(async (target) => {
          const driver = buckets.driverFor(target.bucket);
          try {
            await driver.put(temp, createReadStream(out.path), { contentType: out.mimeType, size: out.size });
            return { target, driver };
          } catch (error) {
            log.warn({ err: error, bucket: target.bucket.uuid, fileUuid, variantName }, 'variant write failed');
            return null;
          }
        }),
      );
      const landed = written.filter((w) => w !== null);
      if (landed.length === 0) throw new Error(`no bucket could store variant ${variantName}`);
      const dropTemps = () =>
        Promise.all(landed.map((w) => w.driver.delete(temp).catch(() => undefined)));

      let released: StoredObject[] = [];
      let promoted = false;
      try {
        await db.$transaction(async (tx) => {
          // the file row first, as a deletion takes it: a deletion either waits for this variant (and then sees its
          // copies) or has removed the file (and this stores nothing), never deletes its row but leaves its bytes
          const [file] = await tx.$queryRaw<{ uuid: string }[]>`
            SELECT uuid FROM phoenix_kit_files WHERE uuid = ${fileUuid}::uuid FOR KEY SHARE`;
          if (!file) throw new NotFoundError('File');
          await lockObject(tx, key);
          for (const w of landed) await w.driver.move(temp, key);
          promoted = true;
          const data = {
            fileName: key,
            mimeType: out.mimeType,
            ext: out.ext,
            checksum: out.sha256,
            size: BigInt(out.size),
            width: out.width,
            height: out.height,
            processingStatus: 'completed',
          };
          const wanted = landed.map((w) => ({ bucketUuid: w.target.bucket.uuid, path: key, priority: w.target.priority }));
          const existing = await tx.fileInstance.findUnique({
            where: { fileUuid_variantName: { fileUuid, variantName } },
            include: { locations: true },
          });
          if (!existing) {
            await tx.fileInstance.create({
              data: { fileUuid, variantName, ...data, locations: { create: wanted.map((w) => ({ ...w, status: 'active' })) } },
            });
            return;
          }
          const changed = (Object.keys(data) as (keyof typeof data)[]).some((k) => existing[k] !== data[k]);
          if (changed) await tx.fileInstance.update({ where: { uuid: existing.uuid }, data });
          released = await syncLocations(tx, existing.uuid, existing.locations, wanted);
        }, TX);
      } catch (error) {
        await dropTemps();
        // nothing committed: the key may now hold bytes no row points at
        if (promoted) await files.releaseObjects(landed.map((w) => ({ bucketUuid: w.target.bucket.uuid, path: key })));
        throw error;
      }
      await files.releaseObjects(released);
    },

    /** Records a variant as `failed` (no bytes: a failed variant serves nothing); returns whether anything changed. */
    async markFailed(fileUuid: string, variantName: string, planned: { mimeType: string; ext: string }): Promise<boolean> {
      let released: StoredObject[] = [];
      const changed = await db.$transaction(async (tx) => {
        const existing = await tx.fileInstance.findUnique({
          where: { fileUuid_variantName: { fileUuid, variantName } },
          include: { locations: true },
        });
        const data = {
          fileName: '',
          mimeType: planned.mimeType,
          ext: planned.ext,
          checksum: '',
          size: 0n,
          width: null,
          height: null,
          processingStatus: 'failed',
        };
        if (!existing) {
          await tx.fileInstance.create({ data: { fileUuid, variantName, ...data } });
          return true;
        }
        released = await syncLocations(tx, existing.uuid, existing.locations, []);
        const differs = (Object.keys(data) as (keyof typeof data)[]).some((k) => existing[k] !== data[k]);
        if (differs) await tx.fileInstance.update({ where: { uuid: existing.uuid }, data });
        return differs || released.length > 0;
      }, TX);
      await files.releaseObjects(released);
      return changed;
    },

    /** Deletes the variants of a file not in `keep` (never the original) with their bytes where nothing else uses them. */
    async removeOthers(fileUuid: string, keep: ReadonlySet<string>): Promise<string[]> {
      let released: StoredObject[] = [];
      const removed = await db.$transaction(async (tx) => {
        const stale = await tx.fileInstance.findMany({
          where: { fileUuid, variantName: { notIn: ['original', ...keep] } },
          include: { locations: { select: { bucketUuid: true, path: true } } },
        });
        if (stale.length === 0) return [];
        await tx.fileInstance.deleteMany({ where: { uuid: { in: stale.map((s) => s.uuid) } } });
        released = stale.flatMap((s) => s.locations);
        return stale.map((s) => s.variantName);
      }, TX);
      await files.releaseObjects(released);
      return removed;
    },
  };
}

export type VariantStore = ReturnType<typeof createVariantStore>;
