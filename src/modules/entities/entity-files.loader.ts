import DataLoader from 'dataloader';
import type { Context } from '../../graphql/context.js';

type FileQuery = { select?: Record<string, unknown>; include?: Record<string, unknown> };
type Loader = DataLoader<string, { uuid: string } | null>;

// one loader per request and per planned selection, so every File resolved from entity data in one query is fetched
// by a single statement (with its relations joined in), however many rows and fields reference files
const loaders = new WeakMap<Context, Map<string, Loader>>();

/** Batched File lookup by uuid for fields that hold file uuids in JSON (no relation Prisma could join); trashed files are left out. */
export function fileLoader(ctx: Context, query: FileQuery): Loader {
  let byQuery = loaders.get(ctx);
  if (!byQuery) {
    byQuery = new Map();
    loaders.set(ctx, byQuery);
  }
  const key = JSON.stringify(query);
  let loader = byQuery.get(key);
  if (!loader) {
    const planned = query.select ? { ...query, select: { ...query.select, uuid: true } } : query;
    loader = new DataLoader(async (uuids: readonly string[]) => {
      const rows = (await ctx.db.file.findMany({
        ...planned,
        relationLoadStrategy: 'join',
        // a file its owner put in the trash is gone for readers of the entry too (it is back once restored)
        where: { uuid: { in: [...uuids] }, systemManaged: false, status: { not: 'trashed' } },
      })) as Array<{ uuid: string }>;
      const byUuid = new Map(rows.map((row) => [row.uuid, row]));
      return uuids.map((uuid) => byUuid.get(uuid) ?? null);
    });
    byQuery.set(key, loader);
  }
  return loader;
}
