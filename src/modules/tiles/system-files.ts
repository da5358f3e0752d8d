import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Db } from '../../db/database.js';
import { Prisma, type Bucket } from '../../generated/prisma/client.js';
import { NotFoundError } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import { storageKey, type StorageKey } from '../../storage/storage-key.js';
import type { BucketService } from '../files/bucket.service.js';
import { BucketUnavailableError } from '../files/file.errors.js';
import { mapLimit } from '../../util/map-limit.js';

/** One file a parent owns (a tile, a manifest): its storage key doubles as its unique `file_name` under the parent. */
export type SystemFileInput = Readonly<{
  key: string;
  bytes: Buffer;
  mimeType: string;
  ext: string;
  width: number | null;
  height: number | null;
  metadata: Record<string, unknown>;
}>;

/** A stored system file and its `original` instance (what serving needs). */
export type SystemFile = Readonly<{
  fileUuid: string;
  fileName: string;
  width: number | null;
  height: number | null;
  metadata: unknown;
  instance: Readonly<{ uuid: string; fileName: string; mimeType: string; checksum: string; size: number }>;
}>;

/** Rows per transaction (and bytes held in memory at once). */
const CHUNK = 256;
/** Objects written at once within a chunk. */
const PUT_CONCURRENCY = 16;

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

/**
 * `user_file_checksum` of a system file. The column has one unique index for the whole table, so it is salted with
 * the parent and the file's name: identical tiles of two images (or two blank tiles of one) never collide.
 */
export function systemFileChecksum(parentUuid: string, fileName: string, fileChecksum: string): string {
  return sha256(`system:${parentUuid}:${fileName}:${fileChecksum}`);
}

const SELECT_STORED = {
  uuid: true,
  fileName: true,
  width: true,
  height: true,
  metadata: true,
  instances: { where: { variantName: 'original' }, select: { uuid: true, fileName: true, mimeType: true, checksum: true, size: true } },
} as const satisfies Prisma.FileSelect;

type StoredRow = Prisma.FileGetPayload<{ select: typeof SELECT_STORED }>;

function toSystemFile(row: StoredRow): SystemFile | null {
  const instance = row.instances[0];
  if (!instance) return null;
  return {
    fileUuid: row.uuid,
    fileName: row.fileName,
    width: row.width,
    height: row.height,
    metadata: row.metadata,
    instance: { ...instance, size: Number(instance.size) },
  };
}

/**
 * System-managed files (`system_managed = true`, `user_uuid` NULL, `parent_file_uuid` set): tiles and DZI manifests.
 * `store` is the one way they are written.
 */
export function createSystemFileStore({ db, log, buckets }: { db: Db; log: Logger; buckets: BucketService }) {
  /** The enabled buckets holding an active copy of the parent's original: its children live beside it. */
  async function parentBuckets(parentUuid: string): Promise<Bucket[]> {
    const locations = await db.fileLocation.findMany({
      where: { status: 'active', bucket: { enabled: true }, fileInstance: { fileUuid: parentUuid, variantName: 'original' } },
      include: { bucket: true },
      distinct: ['bucketUuid'],
      orderBy: [{ bucketUuid: 'asc' }],
    });
    return locations.map((l) => l.bucket);
  }

  /** Writes one object to every bucket; returns the buckets it landed in (none: every write failed). */
  async function putEverywhere(targets: readonly Bucket[], key: StorageKey, item: SystemFileInput): Promise<Bucket[]> {
    const landed = await Promise.all(
      targets.map(async (bucket) => {
        try {
          await buckets.driverFor(bucket).put(key, Readable.from([item.bytes]), { contentType: item.mimeType, size: item.bytes.length });
          return bucket;
        } catch (error) {
          log.warn({ err: error, bucket: bucket.uuid, key }, 'system file write failed');
          return null;
        }
      }),
    );
    return landed.filter((b): b is Bucket => b !== null);
  }

  async function dropObjects(written: ReadonlyArray<{ key: StorageKey; buckets: readonly Bucket[] }>): Promise<void> {
    await Promise.all(
      written.flatMap(({ key, buckets: landed }) =>
        landed.map((bucket) =>
          buckets
            .driverFor(bucket)
            .delete(key)
            .catch((error) => log.warn({ err: error, bucket: bucket.uuid, key }, 'system file bytes left behind')),
        ),
      ),
    );
  }

  async function storeChunk(parentUuid: string, targets: readonly Bucket[], items: readonly SystemFileInput[]) {
    const keys = items.map((item) => storageKey(item.key));
    return db.$transaction(
      async (tx) => {
        // one writer of a parent's system files at a time (in every process): a key is written once, by whoever finds
        // it missing; deleteFile never takes this lock, so the two cannot deadlock
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`phoenix_kit_system_files:${parentUuid}`}))`;
        // the parent stays until commit (a delete waits for us; if it came first, we store nothing)
        const parent = await tx.$queryRaw<{ uuid: string }[]>`
          SELECT uuid FROM phoenix_kit_files WHERE uuid = ${parentUuid}::uuid FOR KEY SHARE`;
        if (parent.length === 0) throw new NotFoundError('File');

        const existing = await tx.file.findMany({
          where: { parentFileUuid: parentUuid, systemManaged: true, fileName: { in: keys } },
          select: { fileName: true },
        });
        const present = new Set(existing.map((row) => row.fileName));
        const missing = items.map((item, i) => ({ item, key: keys[i]! })).filter(({ key }) => !present.has(key));
        const written: Array<{ key: StorageKey; buckets: Bucket[]; item: SystemFileInput; checksum: string }> = [];
        try {
          await mapLimit(missing, PUT_CONCURRENCY, async ({ item, key }) => {
            const landed = await putEverywhere(targets, key, item);
            if (landed.length > 0) written.push({ key, buckets: landed, item, checksum: sha256(item.bytes) });
          });
          if (written.length < missing.length) throw new BucketUnavailableError('every bucket failed while writing');
          if (written.length > 0) await insertRows(tx, parentUuid, written);
        } catch (error) {
          // still under the lock: nobody else can have started to reference these keys
          await dropObjects(written);
          throw error;
        }
        const rows = await tx.file.findMany({
          where: { parentFileUuid: parentUuid, systemManaged: true, fileName: { in: keys } },
          select: SELECT_STORED,
        });
        return { rows, created: written.length };
      },
      { timeout: 120_000, maxWait: 60_000 },
    );
  }

  /** One INSERT … ON CONFLICT DO NOTHING per table; rows that lost a race are simply not returned. */
  async function insertRows(
    tx: Prisma.TransactionClient,
    parentUuid: string,
    written: ReadonlyArray<{ key: StorageKey; buckets: readonly Bucket[]; item: SystemFileInput; checksum: string }>,
  ) {
    const fileValues = written.map(({ key, item, checksum }) => {
      const slash = key.lastIndexOf('/');
      return Prisma.sql`(${key.slice(slash + 1)}, ${key}, ${key.slice(0, slash)}, ${item.mimeType}, 'tile', ${item.ext},
        ${checksum}, ${systemFileChecksum(parentUuid, key, checksum)}, ${item.bytes.length}::bigint, ${item.width}::int,
        ${item.height}::int, 'active', ${JSON.stringify(item.metadata)}::jsonb, NULL::uuid, true, ${parentUuid}::uuid)`;
    });
    const files = await tx.$queryRaw<{ uuid: string; file_name: string }[]>`
      INSERT INTO phoenix_kit_files (original_file_name, file_name, file_path, mime_type, file_type, ext, file_checksum,
        user_file_checksum, size, width, height, status, metadata, user_uuid, system_managed, parent_file_uuid)
      VALUES ${Prisma.join(fileValues)}
      ON CONFLICT (parent_file_uuid, file_name) WHERE system_managed = true DO NOTHING
      RETURNING uuid, file_name`;
    if (files.length === 0) return;
    const byKey = new Map(written.map((w) => [w.key as string, w]));
    const instanceValues = files.map((file) => {
      const { item, checksum, key } = byKey.get(file.file_name)!;
      return Prisma.sql`('original', ${key}, ${item.mimeType}, ${item.ext}, ${checksum}, ${item.bytes.length}::bigint,
        ${item.width}::int, ${item.height}::int, 'completed', ${file.uuid}::uuid)`;
    });
    const instances = await tx.$queryRaw<{ uuid: string; file_name: string }[]>`
      INSERT INTO phoenix_kit_file_instances (variant_name, file_name, mime_type, ext, checksum, size, width, height,
        processing_status, file_uuid)
      VALUES ${Prisma.join(instanceValues)}
      ON CONFLICT (file_uuid, variant_name) DO NOTHING
      RETURNING uuid, file_name`;
    const locationValues = instances.flatMap((instance) =>
      byKey
        .get(instance.file_name)!
        .buckets.map(
          (bucket) => Prisma.sql`(${instance.file_name}, 'active', ${bucket.priority}::int, ${instance.uuid}::uuid, ${bucket.uuid}::uuid)`,
        ),
    );
    if (locationValues.length > 0) {
      await tx.$executeRaw`
        INSERT INTO phoenix_kit_file_locations (path, status, priority, file_instance_uuid, bucket_uuid)
        VALUES ${Prisma.join(locationValues)}`;
    }
  }

  return {
    /**
     * Stores system files of `parentUuid` (bytes on the parent's buckets, one `original` instance, a location per
     * copy) and returns the stored row of every key, whoever won. Under concurrency each key gets exactly one row and
     * one object per bucket: writers of one parent are serialised by an advisory lock and skip keys that exist, the
     * row is inserted with `ON CONFLICT (parent_file_uuid, file_name) WHERE system_managed DO NOTHING`, and the
     * winner is read back.
     * NotFoundError when the parent is gone; BucketUnavailableError when no bucket took the bytes.
     */
    async store(parentUuid: string, items: readonly SystemFileInput[]): Promise<Map<string, SystemFile>> {
      const out = new Map<string, SystemFile>();
      if (items.length === 0) return out;
      const targets = await parentBuckets(parentUuid);
      if (targets.length === 0) throw new BucketUnavailableError('no enabled bucket holds the original');
      let created = 0;
      for (let start = 0; start < items.length; start += CHUNK) {
        const result = await storeChunk(parentUuid, targets, items.slice(start, start + CHUNK));
        created += result.created;
        for (const row of result.rows) {
          const file = toSystemFile(row);
          if (file) out.set(file.fileName, file);
        }
      }
      log.debug({ parentUuid, requested: items.length, created }, 'system files stored');
      return out;
    },

    /** The stored system file named `key` under the parent, or null. */
    async find(parentUuid: string, key: string): Promise<SystemFile | null> {
      const row = await db.file.findFirst({
        where: { parentFileUuid: parentUuid, systemManaged: true, fileName: key },
        select: SELECT_STORED,
      });
      return row ? toSystemFile(row) : null;
    },
  };
}

export type SystemFileStore = ReturnType<typeof createSystemFileStore>;
