import { PothosValidationError } from '@pothos/core';
import { BREAK, GraphQLError, visit, type FieldNode } from 'graphql';
import { Prisma } from '../generated/prisma/client.js';

const CURSOR_ARGUMENTS = new Set(['after', 'before']);

/** Whether the field, or a field selected under it (a nested connection), was given `after` or `before`. */
function hasCursorArgument(node: FieldNode): boolean {
  let found = false;
  visit(node, {
    Argument(argument) {
      if (!CURSOR_ARGUMENTS.has(argument.name.value)) return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

/** Prisma refused a value: the database found it malformed (P2007), or its type is not the column's. */
const refusedValue = (error: unknown) =>
  (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2007') || error instanceof Prisma.PrismaClientValidationError;

/**
 * Connection cursors are base64 `GPC:<type>:<key>`; the Prisma plugin checks that shape only, so a hand-made cursor
 * (`GPC:S:not-a-uuid`, `GPC:N:1`) reaches Prisma, which refuses it. Such a refusal on a field given `after`/`before`
 * is the caller's error: this returns it as `BAD_USER_INPUT` "Invalid cursor" (null for any other error).
 */
export function invalidCursorError(error: GraphQLError): GraphQLError | null {
  if (!refusedValue(error.originalError) || !error.nodes?.some((node) => node.kind === 'Field' && hasCursorArgument(node))) return null;
  return badInput(error, 'Invalid cursor');
}

/**
 * The Pothos plugins' own refusals of connection arguments (a cursor they cannot decode, a negative `first`) carry no
 * code: they are the caller's error, `BAD_USER_INPUT` (a cursor's as "Invalid cursor", which never echoes it back).
 */
export function connectionArgumentError(error: GraphQLError): GraphQLError | null {
  const original = error.originalError ?? error;
  if (!(original instanceof PothosValidationError)) return null;
  if (/cursor/i.test(original.message)) return badInput(error, 'Invalid cursor');
  // only refusals of the paging arguments: the plugins' other validation errors are faults of the server
  return CONNECTION_ARGUMENT.test(original.message) ? badInput(error, original.message) : null;
}

const CONNECTION_ARGUMENT = /^Arguments? "(first|last|before|after)"/;

function badInput(error: GraphQLError, message: string): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { code: 'BAD_USER_INPUT' },
  });
}
