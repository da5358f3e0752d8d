import type { Plugin } from 'graphql-yoga';
import { NotFoundError } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import { StorageError } from '../../storage/storage-errors.js';
import { etagMatches } from '../files/domain/http-range.js';
import { BucketUnavailableError } from '../files/file.errors.js';
import { answer, notFound, responseBody, unavailable } from '../files/file-http.js';
import type { FileUrls } from '../files/file-urls.js';
import type { FileService } from '../files/file.service.js';
import { parseDziPath, type DziRequest } from './domain/dzi.js';
import type { SystemFile } from './system-files.js';
import { TileSourceError, type TileService } from './tile.service.js';

/** The variant name DZI tokens are signed for: one token covers the manifest and every tile. */
export const DZI_VARIANT = 'dzi';

type Deps = { log: Logger; tiles: TileService; files: FileService; urls: FileUrls };

/**
 * `GET|HEAD /files/<uuid>/dzi/<token>/<uuid>.dzi` and `…/<uuid>_files/<level>/<col>_<row>.<jpg|png>`: checks the
 * token (variant `dzi`, constant time) and the setting, then serves the stored manifest or tile, making it on first
 * request. Runs before the file route, which answers every other `/files/` path.
 */
export function useTileServing(deps: Deps): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (!url.pathname.startsWith('/files/')) return;
      const parsed = parseDziPath(url.pathname);
      if (!parsed) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      endResponse(await answer(deps.log, () => serve(deps, request, parsed)));
    },
  };
}

/** The file route's answers: a bad token, a switched-off setting and a missing tile look alike. */
async function serve(deps: Deps, request: Request, dzi: DziRequest): Promise<Response> {
  if (dzi.kind === 'invalid') return notFound();
  if (!deps.urls.check(dzi.fileUuid, DZI_VARIANT, dzi.token).ok) return notFound();
  if (!(await deps.tiles.enabled())) return notFound();
  let file: SystemFile | null;
  try {
    file =
      dzi.kind === 'manifest'
        ? await deps.tiles.manifest(dzi.fileUuid)
        : await deps.tiles.tile(dzi.fileUuid, dzi.level, dzi.col, dzi.row, dzi.format);
  } catch (error) {
    if (error instanceof NotFoundError) return notFound();
    if (error instanceof TileSourceError) {
      deps.log.warn({ err: error, fileUuid: dzi.fileUuid }, 'image cannot be tiled');
      return notFound();
    }
    if (error instanceof BucketUnavailableError || error instanceof StorageError) {
      deps.log.warn({ err: error, fileUuid: dzi.fileUuid }, 'tile storage unavailable');
      return unavailable();
    }
    throw error;
  }
  if (!file) return notFound();
  return respond(deps, request, file, dzi.kind === 'manifest');
}

async function respond(deps: Deps, request: Request, file: SystemFile, manifest: boolean): Promise<Response> {
  const etag = `"${file.instance.checksum}"`;
  const headers = new Headers({
    etag,
    'content-type': manifest ? 'application/xml; charset=utf-8' : file.instance.mimeType,
    'cache-control': manifest ? 'private, max-age=300' : 'private, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
  });
  if (etagMatches(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  let opened: Awaited<ReturnType<FileService['open']>>;
  try {
    opened = await deps.files.open(file.instance);
  } catch (error) {
    deps.log.warn({ err: error, fileUuid: file.fileUuid }, 'no readable copy of a system file');
    return error instanceof NotFoundError ? notFound() : unavailable();
  }
  headers.set('content-length', String(file.instance.size));
  if (request.method === 'HEAD') {
    opened.stream.destroy();
    return new Response(null, { status: 200, headers });
  }
  return new Response(responseBody(opened.stream, request.signal), { status: 200, headers });
}
