/**
 * Per-key cache of setting rows (null = "no row", so absent keys are cached too) with a TTL and a generation
 * counter: a read that started before an invalidation may not store its (possibly stale) result afterwards. At most
 * `maxEntries` are kept (anyone may ask for any key): a full cache drops its expired entries, then its oldest.
 */
export type SettingCache<T> = {
  /** How many entries it holds (expired ones not yet dropped included). */
  readonly size: number;
  /** The cached entry, or undefined on a miss or after its TTL. */
  get(key: string): { row: T | null } | undefined;
  /** Call before reading the database; pass the result to `fill`. */
  begin(): number;
  /** Stores a read result unless an invalidation happened since `begin`. */
  fill(key: string, row: T | null, generation: number): void;
  invalidate(key: string): void;
  clear(): void;
};

/** Far more than the settings a server has; bounds what lookups of made-up keys can hold. */
export const SETTING_CACHE_MAX_ENTRIES = 10_000;

export function createSettingCache<T>(opts: { ttlMs: number; now?: () => number; maxEntries?: number }): SettingCache<T> {
  const now = opts.now ?? Date.now;
  const maxEntries = opts.maxEntries ?? SETTING_CACHE_MAX_ENTRIES;
  const entries = new Map<string, { row: T | null; expiresAt: number }>();
  let generation = 0;

  /** From the oldest (a Map iterates in insertion order, which is expiry order: one TTL for all): expired ones, then
   * as many as it takes to make room. */
  function makeRoom() {
    const at = now();
    for (const [key, entry] of entries) {
      if (entries.size < maxEntries && entry.expiresAt > at) break;
      entries.delete(key);
    }
  }

  return {
    get size() {
      return entries.size;
    },
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
      if (startedAt !== generation) return;
      entries.delete(key); // a refilled key counts as new
      if (entries.size >= maxEntries) makeRoom();
      entries.set(key, { row, expiresAt: now() + opts.ttlMs });
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
