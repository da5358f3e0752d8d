import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { constants, createWriteStream, type WriteStream } from 'node:fs';
import { access, mkdir, open, opendir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertByteRange,
  assertPutMeta,
  ByteCounter,
  type ByteRange,
  type HealthResult,
  type ListedObject,
  type ObjectStat,
  type PutMeta,
  type StorageDriver,
} from './storage-driver.js';
import {
  StorageError,
  StorageObjectNotFoundError,
  StorageRangeNotSatisfiableError,
  StorageSizeMismatchError,
  StorageUnavailableError,
} from './storage-errors.js';
import { assertStorageKey, InvalidStorageKeyError, keyProblem, MAX_KEY_BYTES, type StorageKey } from './storage-key.js';

export type LocalDriverOptions = Readonly<{
  /** Directory holding the objects (made on first write or health check). */
  root: string;
  /** Prepended to every key (the bucket's `path_prefix`). */
  prefix?: StorageKey | null;
  /** fsync each file before it is renamed into place (durable across power loss, slower). Default false. */
  fsync?: boolean;
  /** Whether a missing root may be made (a new bucket) rather than reported unavailable (a lost volume). Default: yes. */
  mayCreateRoot?: () => Promise<boolean>;
}>;

const TEMP_PREFIX = '.pk-tmp-';
/** Bytes queued for the file before a writer waits: several chunks go to disk in one writev. */
const WRITE_BUFFER = 1024 * 1024;

// errors that mean the disk, not the object, is the problem
const UNAVAILABLE_CODES: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EIO: 'I/O error',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
};

const errnoCode = (error: unknown): string | undefined =>
  error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

/** Objects as files under one root directory; writes go to a temp file in the target directory, then are renamed. */
export class LocalDriver implements StorageDriver {
  readonly provider = 'local' as const;
  readonly root: string;
  private readonly rootWithSep: string;
  private readonly mayCreateRoot: (() => Promise<boolean>) | null;
  private readonly prefix: StorageKey | null;
  private readonly fsync: boolean;

  constructor(options: LocalDriverOptions) {
    this.root = resolve(options.root);
    this.rootWithSep = this.root.endsWith(sep) ? this.root : this.root + sep;
    if (options.prefix != null) assertStorageKey(options.prefix);
    this.prefix = options.prefix ?? null;
    this.fsync = options.fsync ?? false;
    this.mayCreateRoot = options.mayCreateRoot ?? null;
  }

  /** The file of `key`; refuses (before any I/O) anything that is not a clean key or would leave the root. */
  pathFor(key: StorageKey): string {
    assertStorageKey(key);
    const full = this.prefix ? `${this.prefix}/${key}` : key;
    if (Buffer.byteLength(full, 'utf8') > MAX_KEY_BYTES) throw new InvalidStorageKeyError('too-long');
    const path = resolve(this.root, ...full.split('/'));
    if (!path.startsWith(this.rootWithSep)) throw new InvalidStorageKeyError('absolute');
    return path;
  }

  async put(key: StorageKey, body: Readable, meta: PutMeta): Promise<{ size: number }> {
    let target: string;
    try {
      assertPutMeta(meta);
      target = this.pathFor(key);
    } catch (error) {
      body.destroy();
      throw error;
    }
    const dir = dirname(target);
    const temp = join(dir, `${TEMP_PREFIX}${randomUUID()}`);
    const counter = new ByteCounter(meta.size);
    let out: WriteStream | null = null;
    try {
      await this.ensureRoot();
      await mkdir(dir, { recursive: true });
      out = createWriteStream(temp, { flags: 'wx', flush: this.fsync, highWaterMark: WRITE_BUFFER });
      await pipeline(body, counter, out);
      await rename(temp, target);
      return { size: counter.bytes };
    } catch (error) {
      body.destroy();
      // the file may still be opening or flushing: remove it only once its stream has closed
      if (out && !out.closed) await once(out, 'close').catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      throw await this.mapError(error);
    }
  }

  async get(key: StorageKey, range?: ByteRange, expectedSize?: number): Promise<Readable> {
    assertByteRange(range);
    const path = this.pathFor(key);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw await this.mapError(error, key);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new StorageObjectNotFoundError(key);
      if (expectedSize !== undefined && info.size !== expectedSize) throw new StorageSizeMismatchError(expectedSize, info.size);
      if (!range) return handle.createReadStream();
      if (range.start >= info.size) throw new StorageRangeNotSatisfiableError(info.size);
      const end = Math.min(range.end ?? info.size - 1, info.size - 1);
      return handle.createReadStream({ start: range.start, end });
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw await this.mapError(error, key);
    }
  }

  async stat(key: StorageKey): Promise<ObjectStat | null> {
    const path = this.pathFor(key);
    try {
      const info = await stat(path);
      return info.isFile() ? { size: info.size, modifiedAt: info.mtime } : null;
    } catch (error) {
      const mapped = await this.mapError(error, key);
      if (mapped instanceof StorageObjectNotFoundError) return null;
      throw mapped;
    }
  }

  async delete(key: StorageKey): Promise<void> {
    const path = this.pathFor(key);
    try {
      await unlink(path);
    } catch (error) {
      if (errnoCode(error) === 'EISDIR') return; // a directory is not an object
      const mapped = await this.mapError(error, key);
      if (mapped instanceof StorageObjectNotFoundError) return;
      throw mapped;
    }
  }

  async move(from: StorageKey, to: StorageKey): Promise<void> {
    const source = this.pathFor(from);
    const target = this.pathFor(to);
    try {
      await mkdir(dirname(target), { recursive: true });
      await rename(source, target);
    } catch (error) {
      throw await this.mapError(error, from);
    }
  }

  async *list(prefix: StorageKey | null): AsyncIterable<ListedObject> {
    // keys are relative to the bucket's prefix directory (pathFor adds the prefix itself)
    const base = this.prefixDir();
    // files being written (temp names) are not objects yet
    for await (const { path, name } of this.files(prefix)) {
      if (name.startsWith(TEMP_PREFIX)) continue;
      const key = relative(base, path).split(sep).join('/');
      if (keyProblem(key)) continue; // a file this driver never wrote
      const info = await stat(path).catch(() => null);
      if (info) yield { key: key as StorageKey, size: info.size, modifiedAt: info.mtime };
    }
  }

  /**
   * Removes the temp files under `prefix` last written before `before`: writes that a stopped process never finished
   * (a live write touches its file with every chunk). Returns how many went.
   */
  async removeStaleTemporaries(prefix: StorageKey | null, before: Date): Promise<number> {
    let removed = 0;
    for await (const { path, name } of this.files(prefix)) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const info = await stat(path).catch(() => null);
      if (!info || info.mtime >= before) continue;
      await unlink(path).then(
        () => removed++,
        () => undefined, // gone already, or finished and renamed meanwhile
      );
    }
    return removed;
  }

  /** The directory of the bucket's path prefix (the root without one). */
  private prefixDir(): string {
    return this.prefix ? resolve(this.root, ...this.prefix.split('/')) : this.root;
  }

  /** Every file under `prefix` (the bucket's prefix directory when null), depth first, one directory handle at a time. */
  private async *files(prefix: StorageKey | null): AsyncIterable<{ path: string; name: string }> {
    const pending = [prefix ? this.pathFor(prefix) : this.prefixDir()];
    for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
      let entries;
      try {
        entries = await opendir(dir);
      } catch (error) {
        const code = errnoCode(error);
        if ((code === 'ENOENT' || code === 'ENOTDIR') && !(await this.rootProblem())) continue;
        throw await this.mapError(error);
      }
      for await (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) pending.push(path);
        else if (entry.isFile()) yield { path, name: entry.name };
      }
    }
  }

  async healthCheck(): Promise<HealthResult> {
    try {
      await this.ensureRoot();
      const problem = await this.rootProblem();
      if (problem) return { ok: false, reason: problem };
      await access(this.root, constants.R_OK | constants.W_OK);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: describe(error) };
    }
  }

  async close(): Promise<void> {}

  /** Makes a missing root when that is allowed; otherwise a missing root is an outage (StorageUnavailableError). */
  private async ensureRoot(): Promise<void> {
    try {
      await stat(this.root);
      return;
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') return; // rootProblem tells what is wrong
    }
    if (this.mayCreateRoot && !(await this.mayCreateRoot())) {
      throw new StorageUnavailableError('root directory missing while the bucket holds copies (is its volume mounted?)');
    }
    await mkdir(this.root, { recursive: true });
  }

  /** Why the root cannot hold objects (missing, not a directory), or null. */
  private async rootProblem(): Promise<string | null> {
    try {
      const info = await stat(this.root);
      return info.isDirectory() ? null : 'root is not a directory';
    } catch (error) {
      return `root directory unusable (${errnoCode(error) ?? 'error'})`;
    }
  }

  /**
   * Typed error for a failed fs call. A missing path is "not found" only while the root is healthy: an unmounted
   * or replaced root is an outage, so callers don't mark every copy on it as lost.
   */
  private async mapError(error: unknown, key?: string): Promise<unknown> {
    if (error instanceof StorageError || error instanceof InvalidStorageKeyError) return error;
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EEXIST') {
      const problem = await this.rootProblem();
      if (problem) return new StorageUnavailableError(problem, { cause: error });
      if (key !== undefined && code !== 'EEXIST') return new StorageObjectNotFoundError(key);
      return error;
    }
    const reason = code ? UNAVAILABLE_CODES[code] : undefined;
    return reason ? new StorageUnavailableError(reason, { cause: error }) : error;
  }
}

function describe(error: unknown): string {
  const code = errnoCode(error);
  return code ? (UNAVAILABLE_CODES[code] ?? `root directory unusable (${code})`) : String(error);
}

export function createLocalDriver(options: LocalDriverOptions): LocalDriver {
  return new LocalDriver(options);
}
