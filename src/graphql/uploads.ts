import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { processRequest } from 'graphql-upload-minimal';
import type { ServerContext } from './context.js';

/**
 * GraphQL multipart requests (file uploads) parsed by graphql-upload-minimal: file bodies stay streams, read once by
 * the resolver, never buffered whole. Under node:http the raw request is parsed directly; in-process `app.fetch`
 * calls stream the Fetch body.
 */
export function useGraphQLUploads(opts: { maxFiles: number }): Plugin<Record<string, unknown>, ServerContext> {
  return {
    onRequestParse({ request, serverContext, setRequestParser }) {
      if (!request.headers.get('content-type')?.toLowerCase().startsWith('multipart/form-data')) return;
      setRequestParser(async (req) => {
        const source =
          serverContext.req ??
          (Object.assign(Readable.fromWeb((req.body ?? new Blob().stream()) as WebReadableStream), {
            headers: Object.fromEntries(req.headers),
          }) as unknown as IncomingMessage);
        // the response is only watched for "close"; an emitter stands in when there is no node response
        const params = await processRequest(source, new EventEmitter() as unknown as ServerResponse, { maxFiles: opts.maxFiles });
        return params as GraphQLParams | GraphQLParams[];
      });
    },
  };
}
