import { AppError } from '../../graphql/errors.js';

/** Deactivating yourself would sign you out with nobody able to switch you back on, unless another Owner remains. */
export class CannotDeactivateSelfError extends AppError {
  readonly code = 'CANNOT_DEACTIVATE_SELF';
  constructor() {
    super('You cannot deactivate your own account');
    this.name = 'CannotDeactivateSelfError';
  }
}
