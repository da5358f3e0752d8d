import { Prisma, type Bucket } from '../../generated/prisma/client.js';
import { CONNECTION_FIELDS, type ConnectionField } from './domain/validate-bucket.js';

/**
 * The rows an upload reads and writes inside its transaction, one statement each: an upload of new bytes is a
 * handful of statements in all, so every round trip saved here is a visible share of its cost.
 */

/** The part of a file row an upload hands back (the GraphQL payload loads the rest by uuid). */
export type StoredFile = { uuid: string; status: string };
/**
 * A copy to record. `connection` (`bucketConnection`): where the bucket led when the bytes were written through it;
 * the copy is recorded only if it still leads there (an admin may have pointed an empty bucket elsewhere meanwhile).
 */
export type CopyPlacement = { bucketUuid: string; priority: number; connection?: string };

/** The column of each connection field (`CONNECTION_FIELDS`): where a bucket's objects are. */
const CONNECTION_COLUMNS = {
  provider: 'provider',
  endpoint: 'endpoint',
  region: 'region',
  bucketName: 'bucket_name',
  pathPrefix: 'path_prefix',
  forcePathStyle: 'force_path_style',
} as const satisfies Record<ConnectionField, string>;

/** Where a bucket's objects are, as JSON (compared with `CONNECTION_OF_B` as jsonb). */
export function bucketConnection(b: Pick<Bucket, ConnectionField>): string {
  return JSON.stringify(Object.fromEntries(CONNECTION_FIELDS.map((field) => [field, b[field]])));
}

/** `bucketConnection` of the bucket row `b`, in SQL. */
export const CONNECTION_OF_B = Prisma.raw(
  `jsonb_build_object(${CONNECTION_FIELDS.map((field) => `'${field}', b.${CONNECTION_COLUMNS[field]}`).join(', ')})`,
);

/**
 * The rows of `copies` whose bucket still leads where it led when the bytes went through it (or that carry no
 * `connection`), as `(bucket_uuid, priority)`; the bucket rows are locked FOR KEY SHARE, as the foreign key would, so
 * a bucket re-pointed or deleted meanwhile drops out. For a `WITH … AS (…)` of the statements that record copies.
 */
function usableCopies(copies: readonly CopyPlacement[]): Prisma.Sql {
  return Prisma.sql`
      SELECT copy.bucket_uuid, copy.priority
        FROM unnest(${copies.map((c) => c.bucketUuid)}::uuid[], ${copies.map((c) => c.priority)}::int[],
                    ${copies.map((c) => c.connection ?? null)}::jsonb[]) AS copy (bucket_uuid, priority, connection)
        JOIN phoenix_kit_buckets AS b ON b.uuid = copy.bucket_uuid
       WHERE copy.connection IS NULL OR ${CONNECTION_OF_B} = copy.connection
         FOR KEY SHARE OF b`;
}

/**
 * The uploader's own file with these bytes, and its original's instance and active copies in enabled buckets (the
 * only ones read, as the database keeps them: V36; 0: no copy can be served, and the bytes just received put it back).
 */
export type MyStoredFile = StoredFile & { originalUuid: string | null; activeCopies: number; metadata: unknown };

/**
 * What is already stored for these bytes: the uploader's own file (`mine`, found by the per-user dedup key) or, when
 * there is none, the enabled buckets holding another user's active copy of the same original (`donor`, one per
 * bucket; a disabled bucket is not read, so a copy there cannot be shared).
 */
export async function findStored(
  tx: Prisma.TransactionClient,
  dedupKey: string,
  key: string,
  sha256: string,
): Promise<{ mine: MyStoredFile | null; donor: CopyPlacement[] }> {
  const rows = await tx.$queryRaw<
    {
      uuid: string | null;
      status: string | null;
      metadata: unknown;
      original_uuid: string | null;
      active_copies: number | null;
      bucket_uuid: string | null;
      priority: number | null;
    }[]
  >`
    SELECT mine.uuid, mine.status, mine.metadata, original.uuid AS original_uuid,
           original.active_copies,
           donor.bucket_uuid, donor.priority
      FROM (SELECT 1) AS one
      LEFT JOIN phoenix_kit_files AS mine ON mine.user_file_checksum = ${dedupKey}
      LEFT JOIN phoenix_kit_file_instances AS original ON original.file_uuid = mine.uuid AND original.variant_name = 'original'
      LEFT JOIN LATERAL (
        SELECT DISTINCT ON (l.bucket_uuid) l.bucket_uuid, l.priority
          FROM phoenix_kit_file_locations AS l
          JOIN phoenix_kit_file_instances AS i ON i.uuid = l.file_instance_uuid
          JOIN phoenix_kit_buckets AS b ON b.uuid = l.bucket_uuid AND b.enabled
         WHERE l.path = ${key} AND l.status = 'active' AND i.variant_name = 'original' AND i.checksum = ${sha256}
         ORDER BY l.bucket_uuid, l.priority
      ) AS donor ON mine.uuid IS NULL`;
  const first = rows[0];
  if (first?.uuid && first.status) {
    const mine = {
      uuid: first.uuid,
      status: first.status,
      metadata: first.metadata,
      originalUuid: first.original_uuid,
      activeCopies: Number(first.active_copies ?? 0),
    };
    return { mine, donor: [] };
  }
  return {
    mine: null,
    donor: rows.flatMap((r) => (r.bucket_uuid ? [{ bucketUuid: r.bucket_uuid, priority: Number(r.priority ?? 0) }] : [])),
  };
}

export type OriginalRow = {
  originalFileName: string;
  fileName: string;
  filePath: string;
  mimeType: string;
  fileType: string;
  ext: string;
  sha256: string;
  dedupKey: string;
  size: number;
  status: string;
  userUuid: string;
  /** Object key of the original in every bucket. */
  key: string;
  locations: readonly CopyPlacement[];
};

/**
 * Inserts a file with its `original` instance and one active location per copy, in one statement; returns the buckets
 * that got a location (`usableCopies`: a bucket re-pointed or deleted meanwhile gets none).
 */
export async function insertOriginal(tx: Prisma.TransactionClient, row: OriginalRow): Promise<StoredFile & { buckets: string[] }> {
  const size = BigInt(row.size);
  const [file] = await tx.$queryRaw<(StoredFile & { buckets: string[] | null })[]>`
    WITH file AS (
      INSERT INTO phoenix_kit_files (original_file_name, file_name, file_path, mime_type, file_type, ext, file_checksum,
                                     user_file_checksum, size, status, user_uuid)
      VALUES (${row.originalFileName}, ${row.fileName}, ${row.filePath}, ${row.mimeType}, ${row.fileType}, ${row.ext},
              ${row.sha256}, ${row.dedupKey}, ${size}, ${row.status}, ${row.userUuid}::uuid)
      RETURNING uuid, status
    ), instance AS (
      INSERT INTO phoenix_kit_file_instances (variant_name, file_name, mime_type, ext, checksum, size, processing_status, file_uuid)
      SELECT 'original', ${row.key}, ${row.mimeType}, ${row.ext}, ${row.sha256}, ${size}, 'completed', file.uuid FROM file
      RETURNING uuid
    ), usable AS (${usableCopies(row.locations)}
    ), location AS (
      INSERT INTO phoenix_kit_file_locations (path, status, priority, file_instance_uuid, bucket_uuid)
      SELECT ${row.key}, 'active', usable.priority, instance.uuid, usable.bucket_uuid FROM instance, usable
      RETURNING bucket_uuid
    )
    SELECT uuid::text, status, (SELECT array_agg(bucket_uuid::text) FROM location) AS buckets FROM file`;
  if (!file) throw new Error('file row not inserted');
  return { uuid: file.uuid, status: file.status, buckets: file.buckets ?? [] };
}

/**
 * Points an instance at `key` in each of `buckets` again: a location row it already has there (a copy marked failed)
 * becomes active, one it lacks is added (`usableCopies`); returns the buckets recorded.
 */
export async function relinkCopies(
  tx: Prisma.TransactionClient,
  instanceUuid: string,
  key: string,
  buckets: readonly CopyPlacement[],
): Promise<string[]> {
  const [row] = await tx.$queryRaw<{ buckets: string[] | null }[]>`
    WITH copy AS (${usableCopies(buckets)}
    ), revived AS (
      UPDATE phoenix_kit_file_locations AS l SET status = 'active', path = ${key}, last_verified_at = now(), updated_at = now()
        FROM copy WHERE l.file_instance_uuid = ${instanceUuid}::uuid AND l.bucket_uuid = copy.bucket_uuid
      RETURNING l.bucket_uuid
    ), added AS (
      INSERT INTO phoenix_kit_file_locations (path, status, priority, file_instance_uuid, bucket_uuid)
      SELECT ${key}, 'active', copy.priority, ${instanceUuid}::uuid, copy.bucket_uuid
        FROM copy WHERE copy.bucket_uuid NOT IN (SELECT bucket_uuid FROM revived)
      RETURNING bucket_uuid
    )
    SELECT array_agg(bucket_uuid::text) AS buckets FROM (SELECT bucket_uuid FROM revived UNION ALL SELECT bucket_uuid FROM added) AS recorded`;
  return row?.buckets ?? [];
}
