import { builder } from './builder.js';
import { AppError, NotFoundError, ValidationError, type FieldIssue } from './errors.js';

/** `interface Error { message, code }`: every expected failure a mutation can return implements it. */
export const ErrorInterface = builder.interfaceRef<AppError>('Error').implement({
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.exposeString('code'),
  }),
});

/** Registers an AppError subclass (with no fields beyond `Error`'s) as a GraphQL object of the same name. */
// constructor arguments differ per error class, hence any[]
export function exposeError(errorClass: new (...args: any[]) => AppError) {
  return builder.objectType(errorClass, {
    name: errorClass.name,
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof errorClass,
  });
}

exposeError(NotFoundError);

const FieldIssueRef = builder.objectRef<FieldIssue>('FieldIssue').implement({
  description: 'One problem with one input field; `path` names the field (e.g. "email").',
  fields: (t) => ({ path: t.exposeString('path'), message: t.exposeString('message') }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({ issues: t.field({ type: [FieldIssueRef], resolve: (e) => [...e.issues] }) }),
});
