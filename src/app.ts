import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { createYoga, maskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { LATEST_VERSION, migratedVersion } from './db/migrations/runner.js';
import { connectionArgumentError, invalidCursorError } from './graphql/cursors.js';
import { AppError } from './graphql/errors.js';
import { createContextFactory, type Context, type ContextDeps, type ServerContext } from './graphql/context.js';
import { useQueryLimits } from './graphql/query-limits.js';
import { useStorableText } from './graphql/text-inputs.js';
import { getSchema } from './graphql/schema.js';
import { useGraphQLUploads } from './graphql/uploads.js';
import { yogaLogger, type Logger } from './logger.js';
import { useFileServing } from './modules/files/file-http.js';
import { useTileServing } from './modules/tiles/tile-http.js';
import { createServices, type Services } from './services.js';

export type AppDeps = {
  db: Database;
  log: Logger;
  config: Config;
  /** Defaults to the real services built from db/config/log (tests may pass a mailer through createServices). */
  services?: Services;
  resolveViewer?: ContextDeps['resolveViewer'];
};

export type App = YogaServerInstance<ServerContext, Context> & { services: Services };

/** `/healthz`: the process is up. `/readyz`: the database answers and carries the latest migration. */
function useHealthChecks(db: Database): Plugin {
  return {
    async onRequest({ url, endResponse }) {
      if (url.pathname === '/healthz') {
        endResponse(Response.json({ status: 'ok' }));
      } else if (url.pathname === '/readyz') {
        try {
          const version = await migratedVersion(db.sql, db.prefix);
          const ready = version === LATEST_VERSION;
          endResponse(
            Response.json(
              { status: ready ? 'ready' : 'migrations pending', version, latest: LATEST_VERSION },
              { status: ready ? 200 : 503 },
            ),
          );
        } catch {
          endResponse(Response.json({ status: 'database unreachable' }, { status: 503 }));
        }
      }
    },
  };
}

/** Builds the HTTP app (no listening): tests call `app.fetch`, main.ts hands it to node:http. */
export function createApp(deps: AppDeps): App {
  const { log, config } = deps;
  const services = deps.services ?? createServices({ db: deps.db, config, log });
  const yoga = createYoga<ServerContext, Context>({
    schema: getSchema(),
    graphqlEndpoint: '/graphql',
    graphiql: config.env !== 'production',
    landingPage: false,
    logging: yogaLogger(log),
    context: createContextFactory({
      db: deps.db.prisma,
      log,
      services,
      trustProxy: config.trustProxy,
      resolveViewer: deps.resolveViewer,
    }),
    maskedErrors: {
      // expected errors (GraphQLError raised on purpose, e.g. FORBIDDEN) pass; anything else is logged once and masked
      maskError(error, message) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        const cursor = error instanceof GraphQLError ? invalidCursorError(error) : null;
        if (cursor) {
          // logged with its cause: a refusal that was a server fault after all shows here
          log.info({ err: original }, 'invalid cursor');
          return cursor;
        }
        const argument = error instanceof GraphQLError ? connectionArgumentError(error) : null;
        if (argument) return argument;
        // an expected failure outside a field's typed errors (a payload's row deleted since the commit): its code, not a fault
        if (error instanceof GraphQLError && original instanceof AppError) {
          return new GraphQLError(original.message, { nodes: error.nodes, path: error.path, extensions: { code: original.code } });
        }
        if (original && !(original instanceof GraphQLError)) log.error({ err: original }, 'unexpected error');
        // never the development form (the cause's message and stack in the answer), whatever NODE_ENV says
        return maskError(error, message, false);
      },
    },
    multipart: false, // uploads are parsed as streams by useGraphQLUploads, which also limits other bodies
    maxRequestBodySize: false,
    plugins: [
      useHealthChecks(deps.db),
      useQueryLimits(),
      useStorableText(),
      useGraphQLUploads({ maxFiles: 1 }),
      // before the file route: it answers every other /files/ path
      useTileServing({ log, tiles: services.tiles, files: services.files, urls: services.fileUrls }),
      useFileServing({
        db: deps.db.prisma,
        log,
        files: services.files,
        buckets: services.buckets,
        urls: services.fileUrls,
      }),
    ],
  });
  return Object.assign(yoga, { services });
}

/**
 * The node:http handler of the app. A request whose Host header and target make no URL is answered 400 here: the
 * Fetch adapter would answer it 500 with its stack trace.
 */
export function nodeHandler(app: App): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (!URL.canParse(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`)) {
      const body = 'Bad request\n';
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, connection: 'close' }).end(body);
      return;
    }
    void app(req, res);
  };
}
