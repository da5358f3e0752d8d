import { AppError } from '../../graphql/errors.js';

export class RateLimitedError extends AppError {
  readonly code = 'RATE_LIMITED';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many attempts; try again in ${retryAfterSeconds} s`);
    this.name = 'RateLimitedError';
  }
}
