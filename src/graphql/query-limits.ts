import { complexityFromQuery } from '@pothos/plugin-complexity';
import {
  getNullableType,
  GraphQLError,
  isListType,
  Kind,
  parse,
  type DocumentNode,
  type GraphQLField,
  type OperationDefinitionNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Rows of a connection given neither `first` nor `last`, and the most it returns (the relay plugin's defaults). */
export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;
/** Assumed length of a plain list field (a file's instances, a user's roles). */
export const LIST_LENGTH = 5;

/**
 * What one request may ask for. Cost: every field 1, a field's selections counted once per row it may return
 * (a connection's page size, 5 for other lists: a file's variants, a comment's media). 100,000 admits the 100-file
 * listing with its variants and copies (12,101) and 100 entries with their files' variants with room; lists of 100
 * nested in lists of 100 nested again multiply past it. Depth and breadth (fields selected in all)
 * are far above any client's query; tokens bound the parser's work before any of this is counted, and nesting (of
 * braces, brackets and parentheses) the depth of its recursion (a few thousand levels overflow the stack).
 */
export const QUERY_LIMITS = { complexity: 100_000, depth: 20, breadth: 1_000, tokens: 10_000, nesting: 64 } as const;

type CostedField = Pick<GraphQLField<unknown, unknown>, 'name' | 'type' | 'args'>;

const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/**
 * The deepest nesting of `{`, `[` and `(` in a GraphQL source, outside strings, block strings and comments; stops
 * counting once past `limit`. Unbalanced sources are the parser's to report.
 */
export function nestingDepth(source: string, limit: number = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '#') {
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i++;
    } else if (c === '"') {
      if (source.startsWith('"""', i)) {
        const end = source.indexOf('"""', i + 3);
        // inside a block string only \""" escapes the closing quotes
        let close = end;
        while (close > 0 && source[close - 1] === '\\') close = source.indexOf('"""', close + 3);
        i = close < 0 ? source.length : close + 2;
      } else {
        for (i++; i < source.length && source[i] !== '"' && source[i] !== '\n'; i++) if (source[i] === '\\') i++;
      }
    } else if (c === '{' || c === '[' || c === '(') {
      deepest = Math.max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c === '}' || c === ']' || c === ')') {
      depth--;
    }
  }
  return deepest;
}

/** A field's cost and how many times its selections count (see QUERY_LIMITS). */
export function fieldCost(field: CostedField, args: Record<string, unknown>): { field: number; multiplier: number } {
  if (field.args.some((a) => a.name === 'first')) {
    const page = count(args.first) ?? count(args.last) ?? DEFAULT_PAGE;
    return { field: 1, multiplier: Math.min(Math.max(page, 0), MAX_PAGE) };
  }
  // a connection's edges are its page, already counted by the connection field
  if (isListType(getNullableType(field.type))) return { field: 1, multiplier: field.name === 'edges' ? 1 : LIST_LENGTH };
  return { field: 1, multiplier: 1 };
}

/** Which limit a measured request exceeds, first by depth, then breadth, then cost; null when within all. */
export function exceededLimit(measured: { complexity: number; depth: number; breadth: number }): string | null {
  if (measured.depth > QUERY_LIMITS.depth) return `Query is too deep (${measured.depth} levels, at most ${QUERY_LIMITS.depth})`;
  if (measured.breadth > QUERY_LIMITS.breadth) {
    return `Query selects too many fields (${measured.breadth}, at most ${QUERY_LIMITS.breadth})`;
  }
  if (measured.complexity > QUERY_LIMITS.complexity) {
    return `Query is too costly (${measured.complexity}, at most ${QUERY_LIMITS.complexity}); ask for smaller pages or fewer nested lists`;
  }
  return null;
}

/** The document with only the operation that runs (and every fragment), for measuring. */
function runningOperation(document: DocumentNode, operationName: string | null | undefined): DocumentNode | null {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return null; // execution reports the missing or ambiguous operation
  return { ...document, definitions: [operation, ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)] };
}

/**
 * Bounds what one request may cost before anything runs: the parser stops after `QUERY_LIMITS.tokens` tokens (a
 * syntax error, 400), and an operation beyond the depth, breadth or cost limit is answered with one
 * `QUERY_TOO_COMPLEX` error without running a resolver.
 */
export function useQueryLimits(): Plugin {
  return {
    onParse({ setParseFn }) {
      setParseFn((source, options) => {
        const body = typeof source === 'string' ? source : source.body;
        if (nestingDepth(body, QUERY_LIMITS.nesting) > QUERY_LIMITS.nesting) {
          throw new GraphQLError(`Syntax Error: the document nests deeper than ${QUERY_LIMITS.nesting} levels`, {
            extensions: { code: 'GRAPHQL_PARSE_FAILED' },
          });
        }
        return parse(source, { ...options, maxTokens: QUERY_LIMITS.tokens });
      });
    },
    onExecute({ args, setResultAndStopExecution }) {
      const document = runningOperation(args.document, args.operationName);
      if (!document) return;
      let measured;
      try {
        measured = complexityFromQuery(document, {
          schema: args.schema,
          ctx: args.contextValue as object,
          variables: (args.variableValues ?? {}) as Record<string, unknown>,
        });
      } catch {
        return; // variables that do not coerce: execution answers with its own error
      }
      const refusal = exceededLimit(measured);
      if (refusal) {
        setResultAndStopExecution({
          errors: [new GraphQLError(refusal, { extensions: { code: 'QUERY_TOO_COMPLEX', ...measured } })],
        });
      }
    },
  };
}
