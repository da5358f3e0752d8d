import { GraphQLError, parse, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, test } from 'vitest';
import { Prisma } from '../generated/prisma/client.js';
import { invalidCursorError } from './cursors.js';

const field = (document: string) => (parse(document).definitions[0] as OperationDefinitionNode).selectionSet.selections[0] as FieldNode;
const malformed = new Prisma.PrismaClientKnownRequestError('invalid input syntax for type uuid', { code: 'P2007', clientVersion: '7' });
const wrongType = new Prisma.PrismaClientValidationError('Expected String, provided Int', { clientVersion: '7' });
const unique = new Prisma.PrismaClientKnownRequestError('Unique constraint failed', { code: 'P2002', clientVersion: '7' });

describe('invalidCursorError', () => {
  test.each([
    ['a malformed cursor on a connection', '{ files(after: "x") { edges { cursor } } }', malformed, true],
    ['a cursor of the wrong type', '{ files(before: "x", last: 1) { edges { cursor } } }', wrongType, true],
    ['a cursor on a nested connection', '{ me { files(after: $c) { edges { cursor } } } }', malformed, true],
    ['no cursor given', '{ files(first: 2) { edges { cursor } } }', malformed, false],
    ['another database error', '{ files(after: "x") { edges { cursor } } }', unique, false],
    ['a plain error', '{ files(after: "x") { edges { cursor } } }', new Error('boom'), false],
  ])('%s → %s', (_name, document, original, invalid) => {
    const error = new GraphQLError('failed', { nodes: field(document), path: ['files'], originalError: original });
    const mapped = invalidCursorError(error);
    expect(mapped !== null).toBe(invalid);
    if (mapped) expect(mapped).toMatchObject({ message: 'Invalid cursor', path: ['files'], extensions: { code: 'BAD_USER_INPUT' } });
  });
});
