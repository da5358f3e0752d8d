/**
 * Pothos' planned Prisma query for a field whose selection asks for nothing Prisma loads (only `__typename`) has an
 * empty `select`, which Prisma refuses; select the key instead. Spread this, never `query` itself.
 */
export function selectingSomething<Q extends object>(query: Q): Q {
  const select = (query as { select?: Record<string, unknown> }).select;
  return select && Object.keys(select).length === 0 ? ({ ...query, select: { uuid: true } } as Q) : query;
}
