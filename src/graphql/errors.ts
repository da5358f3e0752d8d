import { GraphQLError } from 'graphql';

/** Failures a client can act on. Each concrete subclass is exposed as a GraphQL object implementing `Error`. */
export abstract class AppError extends Error {
  abstract readonly code: string;
}

export class NotFoundError extends AppError {
  readonly code = 'NOT_FOUND';
  constructor(what = 'Resource') {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}

export type FieldIssue = { path: string; message: string };

export class ValidationError extends AppError {
  readonly code = 'VALIDATION_FAILED';
  constructor(
    message: string,
    readonly issues: readonly FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** A filter value nothing can have is the caller's mistake (BAD_USER_INPUT naming the allowed values), not an empty page. */
export function checkOneOf(name: string, value: string | null | undefined, allowed: readonly string[]): void {
  if (value != null && !allowed.includes(value)) {
    throw new GraphQLError(`${name} must be one of: ${allowed.join(', ')}`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
}
