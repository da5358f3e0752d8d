import { createHash } from 'node:crypto';
import { readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, parse, resolve } from 'node:path';
import { LocalDriver } from './local-driver.js';
import { s3Endpoint, S3Driver, type S3Provider, type S3Tuning } from './s3-driver.js';
import type { StorageDriver } from './storage-driver.js';
import { BucketConfigError } from './storage-errors.js';
import { InvalidStorageKeyError, normalizeKey, type StorageKey } from './storage-key.js';

/** What a driver needs of a `phoenix_kit_buckets` row; `secretAccessKey` is already decrypted. */
export type BucketConnection = Readonly<{
  uuid: string;
  provider: string;
  endpoint: string | null;
  region: string | null;
  bucketName: string | null;
  accessKeyId: string | null;
  secretAccessKey: string | null;
  pathPrefix: string | null;
  /** S3-compatible addressing (`force_path_style`); absent: path style exactly when an endpoint is set. */
  forcePathStyle?: boolean;
}>;

export type StorageRegistryOptions = Readonly<{
  /** Relative local bucket directories are resolved against this (the server's DATA_DIR). */
  dataDir: string;
  /** fsync local files before they are renamed into place. */
  fsync?: boolean;
  s3?: S3Tuning;
  /** Whether a local bucket's missing directory may be made (default: always). */
  mayCreateLocalRoot?: (bucketUuid: string) => Promise<boolean>;
}>;

/** A local bucket without an endpoint uses the original's default directory, under the data dir. */
export const DEFAULT_LOCAL_ENDPOINT = 'priv/media';

const S3_PROVIDERS: ReadonlySet<string> = new Set<S3Provider>(['s3', 'b2', 'r2', 'tigris']);

/** The bucket's `path_prefix` as a key prefix (surrounding slashes tolerated), or null when blank. */
export function bucketPrefix(pathPrefix: string | null): StorageKey | null {
  const trimmed = pathPrefix?.trim().replace(/^\/+|\/+$/g, '');
  if (!trimmed) return null;
  try {
    return normalizeKey(trimmed);
  } catch (error) {
    if (error instanceof InvalidStorageKeyError) throw new BucketConfigError(`invalid path prefix: ${error.message}`);
    throw error;
  }
}

/** The directory of a local bucket: its endpoint, relative ones resolved against the data dir. */
export function localBucketRoot(endpoint: string | null, dataDir: string): string {
  const dir = endpoint?.trim() || DEFAULT_LOCAL_ENDPOINT;
  if (dir.includes('\u0000')) throw new BucketConfigError('invalid local directory');
  return isAbsolute(dir) ? resolve(dir) : resolve(dataDir, dir);
}

/**
 * The directory and key prefix of a local bucket row. The filesystem root without a prefix cannot be a bucket: the
 * server writes and sweeps `blobs/`, `tmp/` and `_tiles/` in a bucket's directory, and `/tmp` is the machine's.
 */
function localBucket(bucket: BucketConnection, dataDir: string): { root: string; prefix: StorageKey | null } {
  const root = localBucketRoot(bucket.endpoint, dataDir);
  const prefix = bucketPrefix(bucket.pathPrefix);
  if (!prefix && root === parse(root).root) throw new BucketConfigError('a local bucket cannot be the filesystem root');
  return { root, prefix };
}

/**
 * `path` with its symbolic links resolved as far as it exists (the rest is to be made, so it holds none), following a
 * link whose target is still to be made too: two spellings of one directory, through a link or not, give the same
 * answer. `hops` bounds link chains, as the system does (ELOOP).
 */
function realDirectory(path: string, hops = 40): string {
  try {
    return realpathSync.native(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    let target: string | null = null;
    try {
      target = readlinkSync(path);
    } catch {
      // not a link (or not there at all): the part that exists is resolved, the rest appended
    }
    const within = realDirectory(parent, hops);
    return target !== null && hops > 0 ? realDirectory(resolve(within, target), hops - 1) : join(within, basename(path));
  }
}

/**
 * Where a bucket's objects live, as one string that lies within another's (`overlappingStorage`) exactly when the first
 * bucket's objects lie within the second's: the local directory (the path prefix joined, links resolved), or the S3
 * endpoint and bucket followed by the path prefix. Throws `BucketConfigError` for rows that cannot work.
 */
export function storageLocation(bucket: BucketConnection, dataDir: string): string {
  if (bucket.provider === 'local') {
    const { root, prefix } = localBucket(bucket, dataDir);
    return `local:${realDirectory(prefix ? resolve(root, ...prefix.split('/')) : root)}`;
  }
  const prefix = bucketPrefix(bucket.pathPrefix);
  // the service by host alone (a scheme or a trailing slash does not make another one); AWS bucket names are global
  const endpoint = s3Endpoint(bucket.endpoint);
  const host = endpoint ? new URL(endpoint).host.toLowerCase() : 'amazonaws.com';
  const service = /(^|\.)amazonaws\.com$/.test(host) ? 'aws' : host;
  return `s3:${service}/${bucket.bucketName?.trim() ?? ''}${prefix ? `/${prefix}` : ''}`;
}

/**
 * `storageLocation` of each row, by uuid; rows that cannot work (`BucketConfigError`) are left out, as they overlap
 * nothing.
 */
export function storagePlaces(rows: Iterable<BucketConnection>, dataDir: string): Map<string, string> {
  const places = new Map<string, string>();
  for (const row of rows) {
    try {
      places.set(row.uuid, storageLocation(row, dataDir));
    } catch (error) {
      if (!(error instanceof BucketConfigError)) throw error;
    }
  }
  return places;
}

/** The buckets (keys of `locations`) whose objects lie within another's, or share its place. */
export function overlappingStorage(locations: ReadonlyMap<string, string>): Set<string> {
  const entries = [...locations];
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}/`);
  return new Set(
    entries
      .filter(([uuid, place]) => entries.some(([other, there]) => other !== uuid && (within(place, there) || within(there, place))))
      .map(([uuid]) => uuid),
  );
}

/** A new driver for one bucket row; throws `BucketConfigError` for rows that cannot work. */
export function createBucketDriver(bucket: BucketConnection, options: StorageRegistryOptions): StorageDriver {
  if (bucket.provider === 'local') {
    const mayCreate = options.mayCreateLocalRoot;
    return new LocalDriver({
      ...localBucket(bucket, options.dataDir),
      fsync: options.fsync,
      ...(mayCreate ? { mayCreateRoot: () => mayCreate(bucket.uuid) } : {}),
    });
  }
  const prefix = bucketPrefix(bucket.pathPrefix);
  if (S3_PROVIDERS.has(bucket.provider)) {
    if (!bucket.bucketName?.trim()) throw new BucketConfigError('bucket name is required');
    if (!bucket.accessKeyId || !bucket.secretAccessKey) {
      throw new BucketConfigError('access key id and secret access key are required');
    }
    return new S3Driver({
      ...options.s3,
      provider: bucket.provider as S3Provider,
      bucket: bucket.bucketName.trim(),
      endpoint: bucket.endpoint,
      region: bucket.region,
      forcePathStyle: bucket.forcePathStyle,
      credentials: { accessKeyId: bucket.accessKeyId, secretAccessKey: bucket.secretAccessKey },
      prefix,
    });
  }
  throw new BucketConfigError(`unknown storage provider ${JSON.stringify(bucket.provider)}`);
}

const fingerprint = (bucket: BucketConnection): string =>
  createHash('sha256')
    .update(
      JSON.stringify([
        bucket.provider,
        bucket.endpoint,
        bucket.region,
        bucket.bucketName,
        bucket.accessKeyId,
        bucket.secretAccessKey,
        bucket.pathPrefix,
        bucket.forcePathStyle,
      ]),
    )
    .digest('base64url');

/**
 * One driver per bucket, kept while the row's connection fields stay the same (S3 clients hold socket pools).
 * A changed row gets a new driver; the old one is left to finish what it is doing (its idle sockets do not hold the
 * process open) rather than closed under an upload in flight.
 */
export class StorageRegistry {
  private readonly drivers = new Map<string, { fingerprint: string; driver: StorageDriver }>();

  constructor(private readonly options: StorageRegistryOptions) {}

  driverFor(bucket: BucketConnection): StorageDriver {
    const print = fingerprint(bucket);
    const cached = this.drivers.get(bucket.uuid);
    if (cached?.fingerprint === print) return cached.driver;
    const driver = createBucketDriver(bucket, this.options);
    this.drivers.set(bucket.uuid, { fingerprint: print, driver });
    return driver;
  }

  /** Drops (and closes) the driver of a deleted or disabled bucket. */
  async forget(bucketUuid: string): Promise<void> {
    const cached = this.drivers.get(bucketUuid);
    this.drivers.delete(bucketUuid);
    await cached?.driver.close();
  }

  async close(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.all(all.map(({ driver }) => driver.close()));
  }
}

export function createStorageRegistry(options: StorageRegistryOptions): StorageRegistry {
  return new StorageRegistry(options);
}
