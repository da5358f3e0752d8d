import { builder } from '../../graphql/builder.js';
import { ErrorInterface } from '../../graphql/error-types.js';
import { RateLimitedError } from './rate-limit.errors.js';

builder.objectType(RateLimitedError, {
  name: 'RateLimitedError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RateLimitedError,
  fields: (t) => ({ retryAfterSeconds: t.exposeInt('retryAfterSeconds') }),
});
