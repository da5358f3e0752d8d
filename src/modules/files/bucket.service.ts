import type { Db } from '../../db/database.js';
import { driverErrorCode, LOCK_NOT_AVAILABLE } from '../../db/driver-errors.js';
import { NotFoundError, ValidationError } from '../../graphql/errors.js';
import { Prisma, type Bucket } from '../../generated/prisma/client.js';
import type { Logger } from '../../logger.js';
import type { StorageDriver } from '../../storage/storage-driver.js';
import { BucketConfigError } from '../../storage/storage-errors.js';
import {
  createStorageRegistry,
  overlappingStorage,
  storagePlaces,
  type BucketConnection,
  type StorageRegistryOptions,
} from '../../storage/storage-registry.js';
import {
  CONNECTION_FIELDS,
  connectionChanges,
  defaultForcePathStyle,
  validateBucket,
  type BucketInput,
  type ConnectionField,
} from './domain/validate-bucket.js';
import { encryptSecret, isEncryptedSecret, openStoredSecret } from './domain/secret-box.js';
import { BucketBusyError, BucketInUseError } from './file.errors.js';

export type BucketWithUsage = Bucket & { usedBytes: number };

/** A bucket as bucket selection sees it (size limit as a number), keeping the row for the caller. */
export function asCandidate(row: BucketWithUsage) {
  return { ...row, maxSizeMb: row.maxSizeMb === null ? null : Number(row.maxSizeMb), row };
}
export type BucketHealth = { ok: true } | { ok: false; reason: string };

/** Usage ledger rows (all buckets) above which a read folds them. */
export const LEDGER_FOLD_AT = 1000;

/** Every column of a bucket row under its Prisma field name (the type makes the list complete), for raw reads. */
const BUCKET_COLUMNS = {
  uuid: 'uuid',
  name: 'name',
  provider: 'provider',
  region: 'region',
  endpoint: 'endpoint',
  bucketName: 'bucket_name',
  accessKeyId: 'access_key_id',
  secretAccessKey: 'secret_access_key',
  cdnUrl: 'cdn_url',
  pathPrefix: 'path_prefix',
  enabled: 'enabled',
  priority: 'priority',
  maxSizeMb: 'max_size_mb',
  accessType: 'access_type',
  forcePathStyle: 'force_path_style',
  insertedAt: 'inserted_at',
  updatedAt: 'updated_at',
} satisfies Record<keyof Bucket, string>;
const bucketColumns = Prisma.raw(
  Object.entries(BUCKET_COLUMNS)
    .map(([field, column]) => `b.${column} AS "${field}"`)
    .join(', '),
);

/** Long enough to wait out an upload's transaction that is inserting a copy into the bucket. */
const LOCKED_TX = { timeout: 60_000, maxWait: 30_000 };

/** Tries of a bucket change whose copies' instances are busy (about 10 s in all). */
const BUSY_TRIES = 60;

/**
 * Runs a change of a bucket row again while the database finds instances it moves locked (`enabled` flipping, or the
 * bucket deleted, moves its copies' counts: V36): that lock is held by a short transaction, which may itself be
 * waiting for this bucket, so the change gives way and comes back; after about 10 s of that it is refused
 * (`BucketBusyError`: nothing changed).
 */
async function givingWay<T>(change: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await change();
    } catch (error) {
      if (driverErrorCode(error) !== LOCK_NOT_AVAILABLE) throw error;
      if (attempt >= BUSY_TRIES) throw new BucketBusyError();
      await new Promise((resolve) => setTimeout(resolve, Math.min(10 * attempt, 250) * (0.5 + Math.random())));
    }
  }
}

/**
 * The bucket row, locked FOR UPDATE until the transaction ends. An upload or repair inserting a copy takes FOR KEY
 * SHARE on the row through the foreign key, which conflicts: copies being added now are committed (and counted)
 * before this returns, and copies added later wait for this transaction (and fail if it deletes the bucket).
 */
async function lockBucket(tx: Prisma.TransactionClient, uuid: string): Promise<Bucket | null> {
  const [row] = await tx.$queryRaw<Bucket[]>`
    SELECT ${bucketColumns} FROM phoenix_kit_buckets AS b WHERE b.uuid = ${uuid}::uuid FOR UPDATE`;
  return row ?? null;
}

/**
 * Refuses (ValidationError) a bucket whose storage would overlap another bucket's: two rows writing the same objects
 * would each delete what the other's rows still point at. Run under the bucket-layout lock, so two changes at once
 * cannot both pass. A row that cannot work (`BucketConfigError`) overlaps nothing.
 */
async function assertOwnStorage(
  tx: Prisma.TransactionClient,
  candidate: Omit<BucketConnection, 'uuid'> & { uuid: string | null },
  dataDir: string,
) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('phoenix_kit_bucket_layout'))`;
  const others = await tx.bucket.findMany({ where: candidate.uuid ? { uuid: { not: candidate.uuid } } : {} });
  // the candidate under the key '' (no bucket has it); a candidate that cannot work overlaps nothing
  const places = storagePlaces([{ ...candidate, uuid: '' }, ...others], dataDir);
  if (!places.has('')) return;
  const overlapping = overlappingStorage(places);
  if (!overlapping.has('')) return;
  const names = others.filter((o) => overlapping.has(o.uuid)).map((o) => `"${o.name}"`);
  const path = candidate.provider === 'local' ? 'endpoint' : 'bucketName';
  throw new ValidationError('Bucket input is invalid', [{ path, message: `shares its storage with bucket ${names.join(', ')}` }]);
}

/** BucketInUseError for a connection change: the copies stay where the old settings point. */
function connectionInUse(copies: number, fields: readonly ConnectionField[]): BucketInUseError {
  return new BucketInUseError(
    copies,
    `The bucket still holds ${copies} file copies, which ${fields.join(', ')} must keep pointing at; add a new bucket instead`,
  );
}

/**
 * Of `buckets`, those without room for `size` more bytes under their `max_size_mb`, read in the caller's transaction
 * under a per-bucket lock held until it ends: writers recording new bytes (uploads, repairs) take their turns, so
 * simultaneous ones cannot together overfill a bucket that each alone would fit. Unlimited buckets cost nothing.
 */
export async function bucketsWithoutRoom(
  tx: Prisma.TransactionClient,
  buckets: readonly { uuid: string; maxSizeMb: bigint | number | null }[],
  size: number,
): Promise<Set<string>> {
  const limited = [...new Set(buckets.filter((b) => b.maxSizeMb !== null).map((b) => b.uuid))].sort();
  if (limited.length === 0) return new Set();
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('phoenix_kit_bucket_room:' || u)) FROM unnest(${limited}::text[]) AS u`;
  const rows = await tx.$queryRaw<{ uuid: string; full: boolean }[]>`
    SELECT b.uuid::text AS uuid,
           COALESCE((SELECT SUM(u.bytes) FROM phoenix_kit_bucket_usage u WHERE u.bucket_uuid = b.uuid), 0) + ${size}
             > b.max_size_mb::numeric * 1048576 AS full
      FROM phoenix_kit_buckets b
     WHERE b.uuid = ANY(${limited}::uuid[]) AND b.max_size_mb IS NOT NULL`;
  return new Set(rows.filter((r) => r.full).map((r) => r.uuid));
}

/** Buckets: admin CRUD with encrypted secrets, usage from the ledger the database keeps, and one storage driver per bucket. */
export function createBucketService(deps: { db: Db; log: Logger; secretKey: Buffer; storage: StorageRegistryOptions }) {
  const { db, log, secretKey } = deps;
  // a local bucket's directory is made when missing only while no copy is recorded in it: one that vanished while
  // holding copies is an unmounted volume (an outage), and making it afresh would turn every copy into a missing file
  const registry = createStorageRegistry({
    ...deps.storage,
    mayCreateLocalRoot: async (bucketUuid) => (await db.fileLocation.count({ where: { bucketUuid }, take: 1 })) === 0,
  });

  /**
   * Buckets (every one, or only the enabled ones) with the bytes stored in each: each distinct object counted once,
   * however many file rows share it. One statement reads the rows and their sums from the usage ledger the database
   * keeps (V31), so the cost does not grow with the number of stored files; a ledger longer than `LEDGER_FOLD_AT` rows
   * is folded into one row per bucket afterwards.
   */
  async function withUsage(which: 'all' | 'enabled'): Promise<BucketWithUsage[]> {
    const rows = await db.$queryRaw<(Bucket & { used: bigint; ledgerRows: number })[]>`
      SELECT ${bucketColumns}, COALESCE(ledger.bytes, 0)::bigint AS used,
             (SELECT COUNT(*) FROM phoenix_kit_bucket_usage)::int AS "ledgerRows"
        FROM phoenix_kit_buckets AS b
        LEFT JOIN (SELECT bucket_uuid, SUM(bytes) AS bytes FROM phoenix_kit_bucket_usage GROUP BY bucket_uuid) AS ledger
               ON ledger.bucket_uuid = b.uuid
       WHERE ${which === 'enabled' ? Prisma.sql`b.enabled` : Prisma.sql`TRUE`}`;
    if ((rows[0]?.ledgerRows ?? 0) > LEDGER_FOLD_AT) await foldLedger();
    return rows.map(({ used, ledgerRows: _, ...bucket }) => ({ ...bucket, usedBytes: Number(used) }));
  }

  /** Bytes stored per bucket (see `withUsage`). */
  async function usage(): Promise<Map<string, number>> {
    return new Map((await withUsage('all')).map((b) => [b.uuid, b.usedBytes]));
  }

  /**
   * Replaces the ledger's rows with one per bucket, in one statement: readers see the sums before or after, and two
   * folds at once each move only the rows they deleted.
   */
  async function foldLedger(): Promise<void> {
    await db.$executeRaw`
      WITH gone AS (DELETE FROM phoenix_kit_bucket_usage RETURNING bucket_uuid, bytes)
      INSERT INTO phoenix_kit_bucket_usage (bucket_uuid, bytes)
      SELECT bucket_uuid, SUM(bytes) FROM gone GROUP BY bucket_uuid`;
  }

  function driverFor(bucket: Bucket): StorageDriver {
    const secret = bucket.secretAccessKey ? openStoredSecret(bucket.secretAccessKey, secretKey).plaintext : null;
    return registry.driverFor({ ...bucket, secretAccessKey: secret });
  }

  async function health(bucket: Bucket): Promise<BucketHealth> {
    try {
      return await driverFor(bucket).healthCheck();
    } catch (error) {
      return { ok: false, reason: error instanceof BucketConfigError ? error.message : 'cannot open the bucket' };
    }
  }

  /** The secret to write: the given one encrypted; none given, a stored legacy plaintext one is encrypted now. */
  function secretData(input: BucketInput, stored: string | null = null) {
    if (input.secretAccessKey === undefined) {
      return stored && !isEncryptedSecret(stored) ? { secretAccessKey: encryptSecret(stored, secretKey) } : {};
    }
    return { secretAccessKey: input.secretAccessKey ? encryptSecret(input.secretAccessKey, secretKey) : null };
  }

  return {
    usage,
    foldLedger,
    driverFor,
    health,
    /** Where each bucket's objects live (`storagePlaces`), by uuid; rows that cannot work are left out. */
    placesOf: (rows: readonly Bucket[]) => storagePlaces(rows, deps.storage.dataDir),

    /** Enabled buckets with their used bytes (for selection; every upload reads them). */
    enabledWithUsage: () => withUsage('enabled'),

    /** A new bucket; refused (ValidationError) when invalid or when its storage overlaps another bucket's. */
    async create(input: BucketInput): Promise<Bucket> {
      const issues = validateBucket(input, null);
      if (issues.length > 0) throw new ValidationError('Bucket input is invalid', issues);
      const data = {
        name: input.name!.trim(),
        provider: input.provider!,
        region: input.region ?? null,
        endpoint: input.endpoint ?? null,
        bucketName: input.bucketName ?? null,
        accessKeyId: input.accessKeyId ?? null,
        ...secretData(input),
        cdnUrl: input.cdnUrl ?? null,
        pathPrefix: input.pathPrefix ?? null,
        enabled: input.enabled ?? true,
        priority: input.priority ?? 0,
        maxSizeMb: input.maxSizeMb == null ? null : BigInt(input.maxSizeMb),
        accessType: input.accessType ?? 'public',
        forcePathStyle: input.forcePathStyle ?? defaultForcePathStyle(input.endpoint),
      };
      const bucket = await db.$transaction(async (tx) => {
        await assertOwnStorage(tx, { ...data, uuid: null, secretAccessKey: null }, deps.storage.dataDir);
        return tx.bucket.create({ data });
      }, LOCKED_TX);
      log.info({ bucketUuid: bucket.uuid, provider: bucket.provider }, 'bucket created');
      return bucket;
    },

    /**
     * Name, switches, limits, CDN URL and credentials change freely; the connection (provider, endpoint, region, bucket
     * name, path prefix, path style) only while the bucket holds no copies, else BucketInUseError.
     */
    async update(uuid: string, input: BucketInput): Promise<Bucket> {
      const bucket = await givingWay(() => db.$transaction(async (tx) => {
        const existing = await lockBucket(tx, uuid);
        if (!existing) throw new NotFoundError('Bucket');
        const issues = validateBucket(input, existing);
        if (issues.length > 0) throw new ValidationError('Bucket input is invalid', issues);
        const changed = connectionChanges(input, existing);
        if (changed.length > 0) {
          const copies = await tx.fileLocation.count({ where: { bucketUuid: uuid } });
          if (copies > 0) throw connectionInUse(copies, changed);
          const connection = Object.fromEntries(CONNECTION_FIELDS.map((f) => [f, input[f] !== undefined ? input[f] : existing[f]]));
          await assertOwnStorage(tx, { ...existing, ...connection, uuid }, deps.storage.dataDir);
        }
        return tx.bucket.update({
          where: { uuid },
          data: {
            ...(input.name !== undefined ? { name: input.name!.trim() } : {}),
            ...(input.provider !== undefined ? { provider: input.provider! } : {}),
            ...(input.region !== undefined ? { region: input.region } : {}),
            ...(input.endpoint !== undefined ? { endpoint: input.endpoint } : {}),
            ...(input.bucketName !== undefined ? { bucketName: input.bucketName } : {}),
            ...(input.accessKeyId !== undefined ? { accessKeyId: input.accessKeyId } : {}),
            ...secretData(input, existing.secretAccessKey),
            ...(input.cdnUrl !== undefined ? { cdnUrl: input.cdnUrl } : {}),
            ...(input.pathPrefix !== undefined ? { pathPrefix: input.pathPrefix } : {}),
            ...(input.enabled != null ? { enabled: input.enabled } : {}),
            ...(input.priority != null ? { priority: input.priority } : {}),
            ...(input.maxSizeMb !== undefined ? { maxSizeMb: input.maxSizeMb == null ? null : BigInt(input.maxSizeMb) } : {}),
            ...(input.accessType != null ? { accessType: input.accessType } : {}),
            ...(input.forcePathStyle != null ? { forcePathStyle: input.forcePathStyle } : {}),
          },
        });
      }, LOCKED_TX));
      // no driver is dropped here: a changed connection gets a new one on next use (driverFor compares them), and
      // transfers in flight on the old one finish
      return bucket;
    },

    /**
     * Refused while any file copy lives in the bucket (disable it and drain it first: `replication.drain`). Check and
     * delete are one transaction under the row lock, so the cascade never takes a copy an upload has just committed.
     */
    async remove(uuid: string): Promise<Bucket> {
      const bucket = await givingWay(() => db.$transaction(async (tx) => {
        const row = await lockBucket(tx, uuid);
        if (!row) throw new NotFoundError('Bucket');
        const copies = await tx.fileLocation.count({ where: { bucketUuid: uuid } });
        if (copies > 0) throw new BucketInUseError(copies);
        await tx.bucket.delete({ where: { uuid } });
        return row;
      }, LOCKED_TX));
      registry.forget(uuid);
      return bucket;
    },

    async close() {
      await registry.close();
    },
  };
}

export type BucketService = ReturnType<typeof createBucketService>;
