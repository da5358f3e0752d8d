import { AppError } from '../../graphql/errors.js';

export { FileTooLargeError } from './domain/hash-stream.js';

/** No enabled bucket can take the file (none configured, all full, or all failed while writing). */
export class BucketUnavailableError extends AppError {
  readonly code = 'BUCKET_UNAVAILABLE';
  constructor(readonly reason: string) {
    super(`No storage bucket could store the file: ${reason}`);
    this.name = 'BucketUnavailableError';
  }
}

/** The file is attached somewhere (e.g. a comment) and cannot be deleted until it is detached. */
export class FileInUseError extends AppError {
  readonly code = 'FILE_IN_USE';
  constructor(readonly references: number) {
    super(`The file is attached in ${references} place(s); detach it first`);
    this.name = 'FileInUseError';
  }
}

/** A bucket switch or deletion kept meeting writes to files stored there (it moves their copy counts: V36). */
export class BucketBusyError extends AppError {
  readonly code = 'BUCKET_BUSY';
  constructor(message = 'Files in this bucket are being written; try again in a moment') {
    super(message);
    this.name = 'BucketBusyError';
  }
}

export class BucketInUseError extends AppError {
  readonly code = 'BUCKET_IN_USE';
  constructor(
    readonly copies: number,
    message = `The bucket still holds ${copies} file copies; disable it and drain it (drainBucket) first`,
  ) {
    super(message);
    this.name = 'BucketInUseError';
  }
}

/** The uploader's file with the same bytes is being deleted at this moment: trying again stores the upload anew. */
export class UploadConflictError extends AppError {
  readonly code = 'UPLOAD_CONFLICT';
  constructor() {
    super('Your file with the same content is being deleted right now; try again');
    this.name = 'UploadConflictError';
  }
}

/** The upload request itself was broken (no file part, aborted body). */
export class InvalidUploadError extends AppError {
  readonly code = 'INVALID_UPLOAD';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUploadError';
  }
}
