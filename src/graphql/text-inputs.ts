import { BREAK, getOperationAST, GraphQLError, visit, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isStorableText } from '../util/text.js';

const MESSAGE = 'contains characters that cannot be stored (NUL or an unpaired surrogate)';

const isPlainObject = (value: object) => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** A walked value and how it was reached (the path is spelled out only for the one reported). */
type Step = { value: unknown; key: string; parent: Step | null };

const pathOf = (step: Step) => {
  const keys: string[] = [];
  for (let at: Step | null = step; at; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
};

/**
 * Where the first string in `variables` (a value or an object key, at any depth) that text columns cannot hold is, as
 * `$name.key.0`; null when there is none. Only JSON-shaped data is walked (an upload's promise is not text), and only
 * the variables named in `names` when given (those the operation declares: others never reach a resolver).
 */
export function unstorableTextAt(variables: Record<string, unknown>, names?: readonly string[]): string | null {
  const pending: Step[] = Object.entries(variables)
    .filter(([name]) => !names || names.includes(name))
    .map(([name, value]) => ({ value, key: `$${name}`, parent: null }));
  for (let step = pending.pop(); step; step = pending.pop()) {
    const { value } = step;
    if (typeof value === 'string') {
      if (!isStorableText(value)) return pathOf(step);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => pending.push({ value: item, key: String(i), parent: step }));
    } else if (value !== null && typeof value === 'object' && isPlainObject(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (!isStorableText(key)) return pathOf(step);
        pending.push({ value: item, key, parent: step });
      }
    }
  }
  return null;
}

/** Whether a string literal anywhere in the document (an argument, a default value) is one text columns cannot hold. */
const hasUnstorableLiteral = (document: DocumentNode) => {
  let found = false;
  visit(document, {
    StringValue(node) {
      if (isStorableText(node.value)) return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
};

/**
 * A query given a string no text or jsonb column can hold (an argument, a variable, inside a JSON value) is refused
 * with `BAD_USER_INPUT` before any resolver runs: otherwise the database refuses it later as a server fault. Mutations
 * are left to their own validation, which answers with their typed `ValidationError` naming the field.
 */
export function useStorableText(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'query') return;
      const declared = operation.variableDefinitions?.map((d) => d.variable.name.value) ?? [];
      const at = unstorableTextAt((args.variableValues ?? {}) as Record<string, unknown>, declared);
      if (at === null && !hasUnstorableLiteral(args.document)) return;
      const where = at === null ? 'A string argument' : `Variable ${at}`;
      setResultAndStopExecution({ errors: [new GraphQLError(`${where} ${MESSAGE}`, { extensions: { code: 'BAD_USER_INPUT' } })] });
    },
  };
}
