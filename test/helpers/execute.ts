import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import type { App } from '../../src/app.js';

/** Sends a typed document to the app in-process (no socket), as a client would over HTTP. */
export async function execute<TResult, TVariables>(
  app: App,
  document: TypedDocumentNode<TResult, TVariables>,
  ...[variables, headers]: TVariables extends Record<string, never>
    ? [variables?: TVariables, headers?: Record<string, string>]
    : [variables: TVariables, headers?: Record<string, string>]
): Promise<ExecutionResult<TResult>> {
  const response = await app.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return (await response.json()) as ExecutionResult<TResult>;
}
