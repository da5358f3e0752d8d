/** Failures every driver reports the same way, so services can fail over, mark copies and answer without knowing the backend. */
export abstract class StorageError extends Error {
  abstract readonly code: string;
}

/** The backend could not be reached or refused to work (connection, timeout, 5xx, credentials, missing bucket/root). */
export class StorageUnavailableError extends StorageError {
  readonly code = 'STORAGE_UNAVAILABLE';
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Storage unavailable: ${reason}`, options);
    this.name = 'StorageUnavailableError';
  }
}

/** The backend answered and the object is not there. */
export class StorageObjectNotFoundError extends StorageError {
  readonly code = 'STORAGE_OBJECT_NOT_FOUND';
  constructor(readonly key: string) {
    super('Stored object not found');
    this.name = 'StorageObjectNotFoundError';
  }
}

/** A range whose start lies at or past the end of the object (HTTP 416). */
export class StorageRangeNotSatisfiableError extends StorageError {
  readonly code = 'STORAGE_RANGE_NOT_SATISFIABLE';
  constructor(readonly size: number | null) {
    super('Requested range not satisfiable');
    this.name = 'StorageRangeNotSatisfiableError';
  }
}

/** The body did not have the size the caller declared; nothing was stored. */
export class StorageSizeMismatchError extends StorageError {
  readonly code = 'STORAGE_SIZE_MISMATCH';
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`Expected ${expected} bytes, got ${actual}${actual > expected ? ' or more' : ''}`);
    this.name = 'StorageSizeMismatchError';
  }
}

/** A bucket row that cannot become a driver (unknown provider, missing bucket name or keys, bad prefix). */
export class BucketConfigError extends StorageError {
  readonly code = 'BUCKET_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'BucketConfigError';
  }
}
