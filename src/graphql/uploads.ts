import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { processRequest } from 'graphql-upload-minimal';
import type { ServerContext } from './context.js';

/** Largest non-multipart request body (JSON operations); uploads are limited by setting instead. */
export const MAX_JSON_BODY_BYTES = 25_000_000;

/**
 * GraphQL multipart requests (file uploads) parsed by graphql-upload-minimal: file bodies stay streams, read once by
 * the resolver, never buffered whole. Under node:http the raw request is parsed directly; in-process `app.fetch`
 * calls stream the Fetch body. Yoga's own body limit is off (`maxRequestBodySize: false`): this plugin limits
 * other bodies to MAX_JSON_BODY_BYTES.
 */
export function useGraphQLUploads(opts: { maxFiles: number }): Plugin<Record<string, unknown>, ServerContext> {
  return {
    onRequestParse({ request, serverContext, setRequestParser, endResponse }) {
      if (!request.headers.get('content-type')?.toLowerCase().startsWith('multipart/form-data')) {
        if (Number(request.headers.get('content-length') ?? 0) > MAX_JSON_BODY_BYTES) {
          endResponse(new Response('Request body too large\n', { status: 413 }));
        }
        return;
      }
      setRequestParser(async (req) => {
        const source =
          serverContext.req ??
          (Object.assign(Readable.from((req.body ?? []) as AsyncIterable<Uint8Array>), {
            headers: Object.fromEntries(req.headers),
          }) as unknown as IncomingMessage);
        try {
          // the response is only watched for "close"; an emitter stands in when there is no node response
          const params = await processRequest(source, new EventEmitter() as unknown as ServerResponse, { maxFiles: opts.maxFiles });
          return params as GraphQLParams | GraphQLParams[];
        } catch (error) {
          // a body that is not a well-formed GraphQL multipart request is the client's error, not the server's
          const message = `Malformed multipart request: ${(error as Error).message}`;
          return Response.json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }, { status: 400 });
        }
      });
    },
  };
}
