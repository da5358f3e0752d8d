import { NotFoundError } from './errors.js';

/**
 * Pothos' planned Prisma query for a field whose selection asks for nothing Prisma loads (only `__typename`) has an
 * empty `select`, which Prisma refuses; select the key instead. Spread this, never `query` itself.
 */
export function selectingSomething<Q extends object>(query: Q): Q {
  const select = (query as { select?: Record<string, unknown> }).select;
  return select && Object.keys(select).length === 0 ? ({ ...query, select: { uuid: true } } as Q) : query;
}

/**
 * A mutation answers with its row read again after its commit, and a simultaneous delete may have removed it by then:
 * that is NotFoundError (list it in the mutation's errors), not a server fault. `read` is a `findUnique`.
 */
export async function reread<T>(what: string, read: PromiseLike<T | null>): Promise<T> {
  const row = await read;
  if (row === null) throw new NotFoundError(what);
  return row;
}
