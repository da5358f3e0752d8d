import type { IncomingMessage } from 'node:http';
import type { YogaInitialContext } from 'graphql-yoga';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { TokenHash } from '../modules/auth/domain/tokens.js';
import type { Services } from '../services.js';
import { canonicalIp } from '../util/ip.js';

/** Who is asking. Built once per request from the session; null when anonymous. */
export type Viewer = Readonly<{
  uuid: string;
  /** The session row and its stored hash (null for viewers not created from a session). */
  sessionUuid: string | null;
  sessionTokenHash: TokenHash | null;
  roles: readonly string[];
  isOwner: boolean;
  isAdmin: boolean;
  permissions: ReadonlySet<string>;
}>;

/** Where a request comes from: the client IP (X-Forwarded-For only behind a trusted proxy) and User-Agent. */
export type ClientInfo = Readonly<{ ip: string | null; userAgent: string | null }>;

export type Context = {
  request: Request;
  viewer: Viewer | null;
  client: ClientInfo;
  requestId: string;
  log: Logger;
  db: Db;
  services: Services;
  /** Users who proved who they are in this very request (a login or registration's payload): they see their own private fields. */
  authenticatedNow: Set<string>;
};

/** node:http hands the raw request to yoga; in-process `app.fetch` calls have none. */
export type ServerContext = { req?: IncomingMessage };

export type ContextDeps = {
  db: Db;
  log: Logger;
  services: Services;
  trustProxy: boolean;
  /** Overrides session resolution (tests of code that predates a real session). */
  resolveViewer?: (request: Request, client: ClientInfo) => Promise<Viewer | null>;
};

/**
 * The client's address in one spelling (`canonicalIp`): the first `X-Forwarded-For` entry behind a trusted proxy (when
 * it is an address), else the socket's.
 */
export function clientInfo(request: Request, req: IncomingMessage | undefined, trustProxy: boolean): ClientInfo {
  const forwarded = trustProxy ? request.headers.get('x-forwarded-for')?.split(',')[0] : undefined;
  const socket = req?.socket.remoteAddress;
  const ip = (forwarded ? canonicalIp(forwarded) : null) ?? (socket ? canonicalIp(socket) : null);
  return { ip, userAgent: request.headers.get('user-agent') };
}

export function createContextFactory(deps: ContextDeps) {
  return async ({ request, req }: YogaInitialContext & ServerContext): Promise<Context> => {
    const requestId = request.headers.get('x-request-id') ?? crypto.randomUUID();
    const client = clientInfo(request, req, deps.trustProxy);
    const viewer = deps.resolveViewer
      ? await deps.resolveViewer(request, client)
      : await deps.services.auth.resolveViewer(request.headers.get('authorization'), client);
    return {
      request,
      viewer,
      client,
      requestId,
      log: deps.log.child({ requestId }),
      db: deps.db,
      services: deps.services,
      authenticatedNow: new Set(),
    };
  };
}
