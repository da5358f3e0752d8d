/** How long copies in a bucket whose storage failed a read are read after the others (they are still read when no other opens). */
export const OUTAGE_HOLD_MS = 60_000;

/**
 * `copies` in their read order, those in a bucket that failed a read less than `holdMs` before `now` moved after the
 * others; each part keeps its order. A bucket that hangs costs one reader its timeout, not every reader for a while.
 */
export function outagesLast<T extends { bucketUuid: string }>(
  copies: readonly T[],
  failedAt: ReadonlyMap<string, number>,
  now: number,
  holdMs = OUTAGE_HOLD_MS,
): T[] {
  const down = (copy: T) => {
    const at = failedAt.get(copy.bucketUuid);
    return at !== undefined && now - at < holdMs;
  };
  return [...copies.filter((c) => !down(c)), ...copies.filter(down)];
}
