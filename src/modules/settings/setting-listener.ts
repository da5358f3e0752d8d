import pg from 'pg';
import { quoteIdent } from '../../db/migrations/prefix.js';
import type { Logger } from '../../logger.js';

/** `application_name` of the LISTEN connection, so operators (and tests) can find it in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'phoenix_kit_settings_listener';

/** One channel per prefix: tenants sharing a database do not invalidate each other. */
export const settingsChannel = (prefix: string) => `phoenix_kit_settings_${prefix}`;

/** `<origin>|<key>`: the origin lets a process skip its own notifications (it invalidated when it wrote). */
export const notificationPayload = (origin: string, key: string) => `${origin}|${key}`;

/** The changed key and who wrote it; a payload without origin (a hand-written NOTIFY) is a bare key. */
export function parseNotification(payload: string): { origin: string | null; key: string } {
  const bar = payload.indexOf('|');
  return bar < 0 ? { origin: null, key: payload } : { origin: payload.slice(0, bar), key: payload.slice(bar + 1) };
}

const isDatabaseGone = (error: unknown) => (error as { code?: unknown } | null)?.code === '3D000';

export type SettingListener = {
  /** True while LISTEN is active; while false, notifications may be missed, so callers must not trust a cache. */
  isListening(): boolean;
  close(): Promise<void>;
};

export type SettingListenerOptions = {
  url: string;
  channel: string;
  /** This process's id in notification payloads; its own notifications are ignored. */
  origin: string;
  log: Logger;
  /** A key changed in some process (the payload of the notification). */
  onChange(key: string): void;
  /** Notifications may have been missed (connection made, lost or re-made): drop everything cached. */
  onReset(): void;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** `application_name` of the connection (default: the settings listener's); other channels name their own. */
  applicationName?: string;
  /** What the log lines call this listener (default "settings listener"). */
  label?: string;
};

/**
 * A dedicated connection doing `LISTEN <channel>`; reconnects with capped exponential backoff when the server drops
 * it. Timers are unref'd so a listener that was never closed cannot keep the process alive on its own. Settings use
 * it, and so do file processing events (their own channel and `applicationName`).
 */
export function listenForSettingChanges(opts: SettingListenerOptions): SettingListener {
  const retryMin = opts.retryMinMs ?? 100;
  const retryMax = opts.retryMaxMs ?? 5000;
  const label = opts.label ?? 'settings listener';
  let client: pg.Client | null = null;
  let listening = false;
  let closed = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let connecting: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (closed || timer) return;
    const delay = Math.min(retryMax, retryMin * 2 ** failures);
    failures += 1;
    timer = setTimeout(() => {
      timer = undefined;
      connecting = connect();
    }, delay);
    timer.unref();
  };

  const lost = (c: pg.Client, error?: Error) => {
    if (client !== c) return;
    client = null;
    listening = false;
    opts.onReset();
    if (!closed) opts.log.warn({ err: error }, `${label} connection lost; reconnecting`);
    c.end().catch(() => undefined);
    schedule();
  };

  async function connect(): Promise<void> {
    if (closed) return;
    const c = new pg.Client({
      connectionString: opts.url,
      application_name: opts.applicationName ?? LISTENER_APPLICATION_NAME,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    });
    c.on('notification', (message) => {
      if (message.channel !== opts.channel) return;
      if (!message.payload) {
        opts.onReset();
        return;
      }
      const { origin, key } = parseNotification(message.payload);
      if (origin !== opts.origin) opts.onChange(key);
    });
    c.on('error', (error) => lost(c, error));
    c.on('end', () => lost(c));
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${quoteIdent(opts.channel)}`);
      if (closed || client !== c) {
        await c.end().catch(() => undefined);
        return;
      }
      // changes made before LISTEN took effect were never announced to us
      opts.onReset();
      listening = true;
      failures = 0;
      opts.log.debug({ channel: opts.channel }, `${label} ready`);
    } catch (error) {
      if (client === c) {
        client = null;
        listening = false;
        if (isDatabaseGone(error)) {
          // the database was dropped: nothing to listen to any more; reads keep going to the database uncached
          opts.log.error({ err: error }, `${label} stopped: database does not exist`);
        } else {
          if (!closed) opts.log.warn({ err: error }, `${label} could not connect; retrying`);
          schedule();
        }
      }
      await c.end().catch(() => undefined);
    }
  }

  connecting = connect();

  return {
    isListening: () => listening,
    async close() {
      closed = true;
      listening = false;
      clearTimeout(timer);
      timer = undefined;
      // ending a client that is still connecting makes its connect() fail, so close never waits on a slow server
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
      await connecting;
    },
  };
}
