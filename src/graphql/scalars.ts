import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { GraphQLUpload } from 'graphql-upload-minimal';
import { isUuid } from '../util/uuid.js';
import { builder } from './builder.js';

/** A UUID in its 8-4-4-4-12 hex form, in either case; read as lower case, the form the database answers with. */
function parseUuid(value: unknown): string {
  if (!isUuid(value)) throw new GraphQLError('UUID must be 32 hex digits in the form 8-4-4-4-12', { extensions: { code: 'BAD_USER_INPUT' } });
  return value.toLowerCase();
}

export const UUIDScalar = new GraphQLScalarType({
  name: 'UUID',
  description: 'A UUID in its 8-4-4-4-12 hexadecimal form (read in either case, answered in lower case).',
  serialize: (value) => value,
  parseValue: parseUuid,
  parseLiteral: (ast) => parseUuid(ast.kind === Kind.STRING ? ast.value : null),
});

builder.addScalarType('UUID', UUIDScalar);
builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);
builder.addScalarType('Upload', GraphQLUpload);
