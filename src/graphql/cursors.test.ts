import { PothosValidationError } from '@pothos/core';
import { GraphQLError, parse, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, test } from 'vitest';
import { Prisma } from '../generated/prisma/client.js';
import { connectionArgumentError, invalidCursorError } from './cursors.js';

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

describe('connectionArgumentError', () => {
  const located = (original: Error) => new GraphQLError(original.message, { originalError: original });
  test.each<[string, Error, [string, string] | null]>([
    ['a cursor the plugin cannot decode', new PothosValidationError('Invalid cursor: x'), ['Invalid cursor', 'BAD_USER_INPUT']],
    ['a negative first', new PothosValidationError('Argument "first" must be a non-negative integer'), ['Argument "first" must be a non-negative integer', 'BAD_USER_INPUT']],
    ['before and after together', new PothosValidationError('Arguments "before" and "after" are not supported at the same time'), ['Arguments "before" and "after" are not supported at the same time', 'BAD_USER_INPUT']],
    ['another plugin validation error (a server fault)', new PothosValidationError('List resolvers must return arrays'), null],
    ['any other error', new Error('Invalid cursor'), null],
  ])('%s', (_name, original, expected) => {
    const mapped = connectionArgumentError(located(original));
    expect(mapped ? [mapped.message, mapped.extensions.code] : null).toEqual(expected);
  });
});
