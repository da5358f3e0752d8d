import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { GraphQLError } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { processRequest } from 'graphql-upload-minimal';
import type { ServerContext } from './context.js';
import { unsafeMapPath } from './multipart-map.js';

/**
 * Largest non-multipart request body (JSON operations); uploads are limited by setting instead. The largest input (an
 * entity entry's 512 KiB of data) fits with room to spare; parsing this much JSON, however nested, takes about a
 * quarter of a second (25 MB took seconds and gigabytes, with the event loop blocked).
 */
export const MAX_JSON_BODY_BYTES = 2_000_000;

// the rest of the body is not read: the connection cannot carry another request
const tooLarge = () => new Response('Request body too large\n', { status: 413, headers: { connection: 'close' } });

/**
 * The whole body, or null once it is longer than `limit` bytes. Reading then stops without cancelling the body:
 * cancelling would reset the connection before the client reads its 413; node:http discards the rest instead.
 */
async function readAtMost(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    total += read.value.byteLength;
    if (total > limit) {
      reader.releaseLock();
      return null;
    }
    chunks.push(read.value);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/**
 * A request the parser refused is the client's error. Yoga's refusal of a body that is not JSON carries the parser's
 * message, which quotes the whole body (the client would get back all it sent): it keeps its message, code and status
 * only. Its GET parser lets a JSON error in `variables` or `extensions` through as is (an unexpected error, 500): that
 * becomes a 400 too.
 */
function asRequestError(error: unknown): GraphQLError {
  if (!(error instanceof GraphQLError)) {
    return new GraphQLError('Malformed request parameters', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
  }
  if (!('originalError' in error.extensions)) return error;
  const { originalError: _dropped, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { extensions });
}

/**
 * Two guards on the multipart parser graphql-upload-minimal pipes the request into:
 * - It listens for the parser's first error only, then destroys the parser, which emits a second one ("Unexpected end
 *   of form") when the form was cut short, e.g. by a part header busboy cannot read. Unheard, that one would end the
 *   process. The request has already failed with the first error, so later ones are dropped.
 * - A `map` with a path outside the operations (see unsafeMapPath) fails the request before the library follows it.
 */
function guardParser(source: IncomingMessage): void {
  const pipe = source.pipe.bind(source);
  source.pipe = ((parser: NodeJS.WritableStream, options?: { end?: boolean }) => {
    parser.on('error', () => undefined);
    let operations: string | undefined;
    const emit = parser.emit.bind(parser);
    parser.emit = (event: string | symbol, ...args: unknown[]) => {
      if (event === 'field' && args[0] === 'operations') operations = String(args[1]);
      if (event === 'field' && args[0] === 'map') {
        const unsafe = unsafeMapPath(operations, String(args[1]));
        if (unsafe !== null) return emit('error', new Error(`The map path "${unsafe.slice(0, 100)}" is not in the operations`));
      }
      return emit(event, ...args);
    };
    return pipe(parser, options);
  }) as typeof source.pipe;
}

/**
 * GraphQL multipart requests (file uploads) parsed by graphql-upload-minimal: file bodies stay streams, read once by
 * the resolver, never buffered whole. Under node:http the raw request is parsed directly; in-process `app.fetch`
 * calls stream the Fetch body. Yoga's own body limit is off (`maxRequestBodySize: false`): this plugin limits
 * other bodies to MAX_JSON_BODY_BYTES, by their Content-Length or, without one, by counting.
 */
export function useGraphQLUploads(opts: { maxFiles: number }): Plugin<Record<string, unknown>, ServerContext> {
  return {
    onRequestParse({ request, serverContext, requestParser, setRequestParser, endResponse, fetchAPI }) {
      if (!request.headers.get('content-type')?.toLowerCase().startsWith('multipart/form-data')) {
        const length = request.headers.get('content-length');
        // node:http delivers exactly Content-Length bytes: the header alone decides
        if (length !== null && Number(length) > MAX_JSON_BODY_BYTES) return endResponse(tooLarge());
        if (!requestParser) return;
        setRequestParser(async (req) => {
          if (length === null && req.body) {
            // a body without a length (chunked) is counted as it is read
            const body = await readAtMost(req.body, MAX_JSON_BODY_BYTES);
            if (!body) return tooLarge();
            req = new fetchAPI.Request(req.url, { method: req.method, headers: req.headers, body });
          }
          try {
            return await requestParser(req);
          } catch (error) {
            throw asRequestError(error);
          }
        });
        return;
      }
      setRequestParser(async (req) => {
        const source =
          serverContext.req ??
          (Object.assign(Readable.from((req.body ?? []) as AsyncIterable<Uint8Array>), {
            headers: Object.fromEntries(req.headers),
          }) as unknown as IncomingMessage);
        // the media type is case-insensitive (`Multipart/Form-Data`), the parser looks for it in lower case; the
        // boundary after it is case-sensitive and stays as sent
        const contentType = source.headers['content-type'];
        if (contentType) source.headers['content-type'] = contentType.replace(/^[^;]*/, (type) => type.trim().toLowerCase());
        guardParser(source);
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
