/**
 * Per-key cache of setting rows (null = "no row", so absent keys are cached too) with a TTL and a generation
 * counter: a read that started before an invalidation may not store its (possibly stale) result afterwards.
 */
export type SettingCache<T> = {
  /** The cached entry, or undefined on a miss or after its TTL. */
  get(key: string): { row: T | null } | undefined;
  /** Call before reading the database; pass the result to `fill`. */
  begin(): number;
  /** Stores a read result unless an invalidation happened since `begin`. */
  fill(key: string, row: T | null, generation: number): void;
  invalidate(key: string): void;
  clear(): void;
};

export function createSettingCache<T>(opts: { ttlMs: number; now?: () => number }): SettingCache<T> {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { row: T | null; expiresAt: number }>();
  let generation = 0;
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= now()) {
        entries.delete(key);
        return undefined;
      }
      return { row: entry.row };
    },
    begin: () => generation,
    fill(key, row, startedAt) {
      if (startedAt === generation) entries.set(key, { row, expiresAt: now() + opts.ttlMs });
    },
    invalidate(key) {
      generation += 1;
      entries.delete(key);
    },
    clear() {
      generation += 1;
      entries.clear();
    },
  };
}
