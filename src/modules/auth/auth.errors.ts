import { AppError } from '../../graphql/errors.js';

/** Wrong email or password; the same answer whether or not the account exists. */
export class InvalidCredentialsError extends AppError {
  readonly code = 'INVALID_CREDENTIALS';
  constructor() {
    super('Invalid email or password');
    this.name = 'InvalidCredentialsError';
  }
}

/** The account may not sign in: switched off, or created inactive (setting `new_user_default_status`). */
export class AccountDisabledError extends AppError {
  readonly code = 'ACCOUNT_DISABLED';
  constructor(message = 'This account is deactivated') {
    super(message);
    this.name = 'AccountDisabledError';
  }
}

/** Expired, used, tampered, unknown or wrong-purpose tokens all get this same answer. */
export class InvalidTokenError extends AppError {
  readonly code = 'INVALID_TOKEN';
  constructor() {
    super('The link is invalid or has expired');
    this.name = 'InvalidTokenError';
  }
}
