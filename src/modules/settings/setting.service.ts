import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/database.js';
import { Prisma } from '../../generated/prisma/client.js';
import { ValidationError } from '../../graphql/errors.js';
import type { Logger } from '../../logger.js';
import { SETTING_DEFAULTS } from './domain/defaults.js';
import { isRestrictedSetting } from './domain/restricted.js';
import { KEY_MAX, parseSettingInput, type SettingInput } from './domain/validate-setting.js';
import { createSettingCache } from './setting-cache.js';
import { listenForSettingChanges, notificationPayload, settingsChannel, type SettingListener } from './setting-listener.js';

/** How long a cached read may live: the bound on staleness when a change notification is lost. */
export const SETTINGS_CACHE_TTL_MS = 30_000;

/** A setting as clients see it: a stored row, or a key's code default (`isDefault`, no uuid, no dates). */
export type SettingRecord = {
  uuid: string | null;
  key: string;
  value: string | null;
  valueJson: unknown;
  module: string | null;
  isDefault: boolean;
  dateAdded: Date | null;
  dateUpdated: Date | null;
};

const ROW_SELECT = {
  uuid: true,
  key: true,
  value: true,
  valueJson: true,
  module: true,
  dateAdded: true,
  dateUpdated: true,
} as const satisfies Prisma.SettingSelect;
type SettingRow = Prisma.SettingGetPayload<{ select: typeof ROW_SELECT }>;

const fromRow = (row: SettingRow): SettingRecord => ({ ...row, isDefault: false });
const fromDefault = (key: string, value: string): SettingRecord => ({
  uuid: null,
  key,
  value,
  valueJson: null,
  module: null,
  isDefault: true,
  dateAdded: null,
  dateUpdated: null,
});

export type ReadOptions = { includeRestricted: boolean };

export type SettingsService = {
  /** The string value of `key`: the stored row, else the default, else null. Cached. */
  get(key: string): Promise<string | null>;
  /** `get` parsed as a boolean ("true" only). */
  getBoolean(key: string): Promise<boolean>;
  /** The JSON value of `key`, or null when it has none. Cached. */
  getJson(key: string): Promise<unknown>;
  /** The stored row or the code default; restricted keys are null unless `includeRestricted`. Cached. */
  find(key: string, opts: ReadOptions): Promise<SettingRecord | null>;
  /** Stored rows (of `module` when given) plus, without a module filter, the defaults of keys with no row; by key. */
  list(opts: ReadOptions & { module?: string | null }): Promise<SettingRecord[]>;
  /** Upserts one key after validation (ValidationError, nothing written) and tells every process to drop it. */
  update(input: SettingInput): Promise<SettingRecord>;
  /** Deletes a key's row so its default applies again (same invalidation as `update`); false when there was none. */
  remove(key: string): Promise<boolean>;
  /** Ends the LISTEN connection; call before closing the database. */
  close(): Promise<void>;
};

export type SettingsServiceDeps = { db: Database; log: Logger; ttlMs?: number };

/**
 * Settings with an in-process cache. Writes invalidate locally at once; on PostgreSQL they also NOTIFY a channel per
 * prefix (in the write's transaction, so only committed changes are announced) that every process LISTENs on. While
 * a process is not listening it reads through to the database; the TTL bounds anything still missed.
 */
export function createSettingsService({ db, log, ttlMs = SETTINGS_CACHE_TTL_MS }: SettingsServiceDeps): SettingsService {
  const prisma = db.prisma;
  const channel = settingsChannel(db.prefix);
  const origin = randomUUID();
  const announce = (tx: Prisma.TransactionClient, key: string) =>
    tx.$executeRaw`SELECT pg_notify(${channel}, ${notificationPayload(origin, key)})`;
  const cache = createSettingCache<SettingRow>({ ttlMs });
  const inflight = new Map<string, Promise<SettingRow | null>>();

  const invalidate = (key: string) => {
    cache.invalidate(key);
    inflight.delete(key);
  };
  const reset = () => {
    cache.clear();
    inflight.clear();
  };

  // PGlite is one process: local invalidation is all it needs
  const listener: SettingListener | null =
    db.kind === 'postgres' && db.url
      ? listenForSettingChanges({ url: db.url, channel, origin, log, onChange: invalidate, onReset: reset })
      : null;
  if (db.kind === 'postgres' && !db.url) log.warn('no connection string for LISTEN: other processes see setting changes after the TTL');

  const fetchRow = (key: string) => prisma.setting.findUnique({ where: { key }, select: ROW_SELECT });

  async function readRow(key: string): Promise<SettingRow | null> {
    // not listening (yet, or any more): a notification could be missed, so nothing may be cached
    if (listener && !listener.isListening()) return fetchRow(key);
    const hit = cache.get(key);
    if (hit) return hit.row;
    const pending = inflight.get(key);
    if (pending) return pending;
    const generation = cache.begin();
    const promise = fetchRow(key)
      .then((row) => {
        cache.fill(key, row, generation);
        return row;
      })
      .finally(() => {
        if (inflight.get(key) === promise) inflight.delete(key);
      });
    inflight.set(key, promise);
    return promise;
  }

  const get = async (key: string) => (await readRow(key))?.value ?? SETTING_DEFAULTS[key] ?? null;
  const visible = (record: SettingRecord, opts: ReadOptions) =>
    opts.includeRestricted || !isRestrictedSetting(record.key, record.module);

  return {
    get,
    async getBoolean(key) {
      return (await get(key)) === 'true';
    },
    async getJson(key) {
      return (await readRow(key))?.valueJson ?? null;
    },
    async find(key, opts) {
      if (key.length === 0 || key.length > KEY_MAX) return null;
      const row = await readRow(key);
      const fallback = SETTING_DEFAULTS[key];
      const record = row ? fromRow(row) : fallback !== undefined ? fromDefault(key, fallback) : null;
      return record && visible(record, opts) ? record : null;
    },
    async list(opts) {
      const rows = await prisma.setting.findMany({ where: opts.module ? { module: opts.module } : {}, select: ROW_SELECT });
      const records = rows.map(fromRow);
      if (!opts.module) {
        const stored = new Set(rows.map((r) => r.key));
        for (const [key, value] of Object.entries(SETTING_DEFAULTS)) {
          if (!stored.has(key)) records.push(fromDefault(key, value));
        }
      }
      return records.filter((r) => visible(r, opts)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async update(input) {
      const parsed = parseSettingInput(input);
      if (!parsed.ok) throw new ValidationError('Invalid setting', parsed.issues);
      const { key, value, valueJson, module } = parsed.write;
      // the CHECK allows one of the two columns: writing one always clears the other
      const json = valueJson === null ? Prisma.DbNull : (valueJson as Prisma.InputJsonObject);
      const row = await prisma.$transaction(async (tx) => {
        const saved = await tx.setting.upsert({
          where: { key },
          create: { key, value, valueJson: json, module: module ?? null },
          update: { value, valueJson: json, ...(module === undefined ? {} : { module }) },
          select: ROW_SELECT,
        });
        await announce(tx, key);
        return saved;
      });
      invalidate(key);
      log.info({ key }, 'setting updated');
      return fromRow(row);
    },
    async remove(key) {
      const deleted = await prisma.$transaction(async (tx) => {
        const { count } = await tx.setting.deleteMany({ where: { key } });
        if (count > 0) await announce(tx, key);
        return count;
      });
      invalidate(key);
      if (deleted > 0) log.info({ key }, 'setting removed');
      return deleted > 0;
    },
    async close() {
      reset();
      await listener?.close();
    },
  };
}
