import { AppError } from '../../graphql/errors.js';

/** Setting `comments_enabled` is off: comments are neither written nor listed. */
export class CommentsDisabledError extends AppError {
  readonly code = 'COMMENTS_DISABLED';
  constructor() {
    super('Comments are switched off (setting comments_enabled)');
    this.name = 'CommentsDisabledError';
  }
}

/** Setting `comments_attachments_enabled` is off, and the write would attach a file. */
export class AttachmentsDisabledError extends AppError {
  readonly code = 'ATTACHMENTS_DISABLED';
  constructor() {
    super('Comment attachments are switched off (setting comments_attachments_enabled)');
    this.name = 'AttachmentsDisabledError';
  }
}

/** The comment would hold more than `comments_max_attachments` files. */
export class TooManyAttachmentsError extends AppError {
  readonly code = 'TOO_MANY_ATTACHMENTS';
  constructor(readonly max: number) {
    super(`A comment holds at most ${max} attachments`);
    this.name = 'TooManyAttachmentsError';
  }
}

/** Another attachment already sits at this position of the comment (unique per comment and position). */
export class PositionTakenError extends AppError {
  readonly code = 'POSITION_TAKEN';
  constructor(readonly position: number) {
    super(`Position ${position} is already taken for this comment`);
    this.name = 'PositionTakenError';
  }
}
