import { GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLString, type GraphQLArgument, type GraphQLOutputType } from 'graphql';
import { describe, expect, test } from 'vitest';
import { DEFAULT_PAGE, exceededLimit, fieldCost, LIST_LENGTH, MAX_PAGE, nestingDepth, QUERY_LIMITS } from './query-limits.js';

const arg = (name: string) => ({ name, type: GraphQLInt }) as unknown as GraphQLArgument;
const field = (name: string, type: GraphQLOutputType, args: string[] = []) => ({ name, type, args: args.map(arg) });
const connection = field('files', GraphQLString, ['first', 'last', 'after', 'before']);

describe('fieldCost', () => {
  test.each<[string, ReturnType<typeof field>, Record<string, unknown>, number]>([
    ['a scalar', field('uuid', GraphQLString), {}, 1],
    ['a plain list', field('instances', new GraphQLNonNull(new GraphQLList(GraphQLString))), {}, LIST_LENGTH],
    ["a connection's edges", field('edges', new GraphQLList(GraphQLString)), {}, 1],
    ['a connection with first', connection, { first: 7 }, 7],
    ['a connection with last', connection, { last: 3 }, 3],
    ['a connection with neither', connection, {}, DEFAULT_PAGE],
    ['a connection asking for more than a page holds', connection, { first: 10_000 }, MAX_PAGE],
    ['a negative first (refused when it runs)', connection, { first: -5 }, 0],
  ])('%s', (_name, f, args, multiplier) => {
    expect(fieldCost(f, args)).toEqual({ field: 1, multiplier });
  });
});

describe('exceededLimit', () => {
  type Measured = { complexity: number; depth: number; breadth: number };
  const within: Measured = { complexity: QUERY_LIMITS.complexity, depth: QUERY_LIMITS.depth, breadth: QUERY_LIMITS.breadth };
  test.each<[string, Measured, RegExp | null]>([
    ['at every limit', within, null],
    ['one level too deep', { ...within, depth: QUERY_LIMITS.depth + 1 }, /too deep/],
    ['one field too many', { ...within, breadth: QUERY_LIMITS.breadth + 1 }, /too many fields/],
    ['one point too costly', { ...within, complexity: QUERY_LIMITS.complexity + 1 }, /too costly/],
    ['deep and costly: depth is named', { ...within, depth: 99, complexity: 10 ** 9 }, /too deep/],
  ])('%s', (_name, measured, expected) => {
    const refusal = exceededLimit(measured);
    if (expected) expect(refusal).toMatch(expected);
    else expect(refusal).toBeNull();
  });
});

describe('nestingDepth', () => {
  test.each<[string, string, number]>([
    ['a flat query', '{ me { uuid } }', 2],
    ['arguments and lists count', '{ a(x: [[1]]) { b } }', 4],
    ['braces in a string do not', '{ a(x: "{{{{[[((") }', 2],
    ['an escaped quote stays in the string', '{ a(x: "\\"{{{") }', 2],
    ['braces in a block string do not', '{ a(x: """ {{{ \\""" {{ """) }', 2],
    ['braces in a comment do not', '# {{{{\n{ a }', 1],
    ['an unterminated string ends at the line', '{ a(x: "{{{\n) }', 2],
    ['empty', '', 0],
  ])('%s', (_name, source, depth) => {
    expect(nestingDepth(source)).toBe(depth);
  });

  test('stops counting past the limit', () => {
    expect(nestingDepth('{'.repeat(100_000), 64)).toBe(65);
  });
});
