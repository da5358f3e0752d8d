import type { YogaInitialContext } from 'graphql-yoga';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';

/** Who is asking. Built once per request by the auth resolver; null when anonymous. */
export type Viewer = Readonly<{
  uuid: string;
  isOwner: boolean;
  isAdmin: boolean;
  permissions: ReadonlySet<string>;
}>;

export type Context = {
  viewer: Viewer | null;
  requestId: string;
  log: Logger;
  db: Db;
};

/** Resolves the viewer from a request (bearer session token). */
export type ViewerResolver = (request: Request) => Promise<Viewer | null>;

export type ContextDeps = { db: Db; log: Logger; resolveViewer: ViewerResolver };

export function createContextFactory(deps: ContextDeps) {
  return async ({ request }: YogaInitialContext): Promise<Context> => {
    const requestId = request.headers.get('x-request-id') ?? crypto.randomUUID();
    return {
      viewer: await deps.resolveViewer(request),
      requestId,
      log: deps.log.child({ requestId }),
      db: deps.db,
    };
  };
}
