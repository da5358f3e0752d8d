const MiB = 1024 * 1024;

export const MIN_COPIES = 1;
export const MAX_COPIES = 5;

/** What selection needs to know of a bucket; `usedBytes` = bytes of its active locations. */
export type BucketCandidate = Readonly<{
  uuid: string;
  enabled: boolean;
  priority: number;
  maxSizeMb: number | null;
  usedBytes: number;
}>;

export type NoBucketReason = 'no-enabled-bucket' | 'no-capacity';

export type BucketSelection<B extends BucketCandidate> =
  | Readonly<{ kind: 'selected'; buckets: readonly B[]; requested: number }>
  | Readonly<{ kind: 'none'; reason: NoBucketReason }>;

/** `storage_redundancy_copies` as a count: integers 1–5, anything unreadable is 1. */
export function clampCopies(value: number | string | null | undefined): number {
  const n = typeof value === 'string' ? Number.parseInt(value, 10) : (value ?? Number.NaN);
  if (!Number.isFinite(n)) return MIN_COPIES;
  return Math.min(MAX_COPIES, Math.max(MIN_COPIES, Math.trunc(n)));
}

/** Free bytes of a bucket; a bucket without `max_size_mb` is unbounded. */
export function freeBytes(bucket: BucketCandidate): number {
  return bucket.maxSizeMb === null ? Number.POSITIVE_INFINITY : bucket.maxSizeMb * MiB - bucket.usedBytes;
}

/** Fisher–Yates with an injected source of randomness in [0, 1). */
function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(random() * (i + 1)));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Where the copies of a new file go (product.md §5): enabled buckets only, skipping any the file would overflow;
 * buckets with priority > 0 first in ascending priority, then priority-0 buckets emptiest first; equals (same
 * priority and free space) in random order. Takes `copies` (clamped 1–5). The list may be shorter than asked:
 * the caller stores fewer copies and marks the file under-replicated.
 */
export function selectBuckets<B extends BucketCandidate>(
  buckets: readonly B[],
  request: Readonly<{ fileSize: number; copies: number | string | null | undefined; random?: () => number }>,
): BucketSelection<B> {
  const random = request.random ?? Math.random;
  const copies = clampCopies(request.copies);
  const enabled = buckets.filter((b) => b.enabled);
  if (enabled.length === 0) return { kind: 'none', reason: 'no-enabled-bucket' };
  const fitting = enabled.filter((b) => freeBytes(b) >= request.fileSize);
  if (fitting.length === 0) return { kind: 'none', reason: 'no-capacity' };
  // shuffle first, then a stable sort: ties keep their random order
  const ordered = shuffle(fitting, random).sort((a, b) => {
    const aFixed = a.priority > 0;
    const bFixed = b.priority > 0;
    if (aFixed !== bFixed) return aFixed ? -1 : 1;
    if (aFixed && a.priority !== b.priority) return a.priority - b.priority;
    const aFree = freeBytes(a);
    const bFree = freeBytes(b);
    return aFree === bFree ? 0 : aFree > bFree ? -1 : 1;
  });
  return { kind: 'selected', buckets: ordered.slice(0, copies), requested: copies };
}
