import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SqlRunner } from '../../db/sql.js';
import type { Logger } from '../../logger.js';
import { listenForSettingChanges, notificationPayload, type SettingListener } from '../settings/setting-listener.js';
import { createLocalFileEvents, type FileEvents, type FileProcessingEvent } from './file-events.js';

/** `application_name` of the LISTEN connection for file events (pg_stat_activity, tests). */
export const FILE_EVENTS_APPLICATION_NAME = 'phoenix_kit_file_events_listener';

/** One channel per prefix: tenants sharing a database never see each other's events. */
export const fileEventsChannel = (prefix: string) => `phoenix_kit_file_events_${prefix}`;

/** NOTIFY payloads must stay under 8000 bytes; reasons are cut well below that. */
const REASON_MAX = 1000;
const STATUSES: ReadonlySet<string> = new Set(['pending', 'processing', 'completed', 'failed', 'active']);

/** The NOTIFY body: ids, status, a bounded reason and the time, as a compact JSON array. */
export function encodeFileEvent(event: FileProcessingEvent): string {
  return JSON.stringify([event.fileUuid, event.variant, event.status, event.reason?.slice(0, REASON_MAX) ?? null, event.at]);
}

/** The event of a NOTIFY body, or null for anything malformed (never trusted blindly: any session may NOTIFY). */
export function decodeFileEvent(text: string): FileProcessingEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 5) return null;
  const [fileUuid, variant, status, reason, at] = value as unknown[];
  if (typeof fileUuid !== 'string' || typeof status !== 'string' || !STATUSES.has(status) || typeof at !== 'string') return null;
  if ((variant !== null && typeof variant !== 'string') || (reason !== null && typeof reason !== 'string')) return null;
  return { fileUuid, variant, status: status as FileProcessingEvent['status'], reason, at };
}

export type PostgresFileEventsOptions = {
  url: string;
  prefix: string;
  /** Where NOTIFY is sent from (the app's pool). */
  sql: SqlRunner;
  log: Logger;
  /** How long `ready()` waits for the LISTEN connection. Default 5 s. */
  readyTimeoutMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
};

/**
 * File events across processes on PostgreSQL. `publish` hands the event to this process's subscribers at once and
 * sends `NOTIFY phoenix_kit_file_events_<prefix>` (one at a time, so other processes get a process's events in
 * order); a process with subscribers LISTENs on one dedicated connection (the settings listener's reconnecting
 * client, started on the first subscription) and delivers what other processes announced. Events sent while the
 * connection is down are lost: subscriptions re-read the file's state now and then to make up for it.
 */
export function createPostgresFileEvents(opts: PostgresFileEventsOptions): FileEvents & { isListening(): boolean } {
  const { log } = opts;
  const channel = fileEventsChannel(opts.prefix);
  const origin = randomUUID();
  const local = createLocalFileEvents();
  let listener: SettingListener | null = null;
  let closed = false;
  let tail: Promise<unknown> = Promise.resolve();

  const listen = (): SettingListener | null => {
    if (closed) return null;
    listener ??= listenForSettingChanges({
      url: opts.url,
      channel,
      origin,
      log,
      applicationName: FILE_EVENTS_APPLICATION_NAME,
      label: 'file events listener',
      retryMinMs: opts.retryMinMs,
      retryMaxMs: opts.retryMaxMs,
      onChange(payload) {
        const event = decodeFileEvent(payload);
        if (event) void local.publish(event);
        else log.warn({ payload: payload.slice(0, 200) }, 'malformed file event notification ignored');
      },
      // nothing is cached here; a subscription that missed events finds out from its periodic re-read
      onReset: () => undefined,
    });
    return listener;
  };

  return {
    async publish(event) {
      // queued before anything is awaited: the notifications go out in the order publish was called
      const payload = notificationPayload(origin, encodeFileEvent(event));
      const sent = tail.then(() => opts.sql.query('SELECT pg_notify($1, $2)', [channel, payload]));
      tail = sent.catch(() => undefined);
      await local.publish(event);
      try {
        await sent;
      } catch (error) {
        // processing must not fail because nobody could be told: subscribers re-read the state
        log.warn({ err: error, fileUuid: event.fileUuid }, 'file event not announced to other processes');
      }
    },

    subscribe(fileUuid, signal) {
      listen();
      return local.subscribe(fileUuid, signal);
    },

    async ready() {
      const active = listen();
      const deadline = Date.now() + (opts.readyTimeoutMs ?? 5000);
      while (active && !closed && !active.isListening() && Date.now() < deadline) await sleep(10);
    },

    isListening: () => listener?.isListening() ?? false,

    async close() {
      closed = true;
      await listener?.close();
      await tail;
      await local.close();
    },
  };
}
