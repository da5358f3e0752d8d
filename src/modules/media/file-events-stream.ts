import type { Db } from '../../db/database.js';
import type { FileEvents, FileProcessingEvent } from './file-events.js';

/** What a subscriber sees: published events, and the stored state (whose file status may also be `trashed`). */
export type FileProgressEvent = Omit<FileProcessingEvent, 'status'> & { status: string };

/** How often a waiting subscription re-reads the file, in case its final event was lost. */
export const RECHECK_MS = 15_000;

/** The file as a whole has reached a final state: the subscription ends after this event. */
export const isFinalEvent = (event: FileProgressEvent) =>
  event.variant === null && event.status !== 'processing' && event.status !== 'pending';

/** The stored state: one event per variant (not the original), then one for the file. null when the file is gone. */
async function readState(db: Db, fileUuid: string): Promise<FileProgressEvent[] | null> {
  const file = await db.file.findUnique({
    where: { uuid: fileUuid },
    select: {
      status: true,
      updatedAt: true,
      instances: {
        where: { variantName: { not: 'original' } },
        select: { variantName: true, processingStatus: true, updatedAt: true },
        orderBy: { variantName: 'asc' },
      },
    },
  });
  if (!file) return null;
  return [
    ...file.instances.map((i) => ({
      fileUuid,
      variant: i.variantName,
      status: i.processingStatus,
      reason: null,
      at: i.updatedAt.toISOString(),
    })),
    { fileUuid, variant: null, status: file.status, reason: null, at: file.updatedAt.toISOString() },
  ];
}

async function nextOrTimeout<T>(pending: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([pending, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The progress of one file: first its stored state (so a late subscriber starts from the truth), then every event
 * published for it, in order, until the file is done (`active`, `failed`) — then the stream ends. It subscribes
 * before it reads, so nothing published in between is lost (at worst a state is seen twice). While waiting it
 * re-reads the file every `recheckMs`, so a final event lost with a connection still ends the stream.
 */
export async function* fileProcessingStream(opts: {
  db: Db;
  events: FileEvents;
  fileUuid: string;
  signal?: AbortSignal;
  recheckMs?: number;
}): AsyncGenerator<FileProgressEvent> {
  const fileUuid = opts.fileUuid.toLowerCase();
  const controller = new AbortController();
  const abort = () => controller.abort();
  opts.signal?.addEventListener('abort', abort, { once: true });
  const iterator = opts.events.subscribe(fileUuid, controller.signal)[Symbol.asyncIterator]();
  // the first next() starts the subscription: from here on every published event is queued for us
  let pending = iterator.next();
  try {
    await opts.events.ready?.();
    const state = await readState(opts.db, fileUuid);
    if (!state) return;
    for (const event of state) yield event;
    if (isFinalEvent(state[state.length - 1]!)) return;
    for (;;) {
      const next = await nextOrTimeout(pending, opts.recheckMs ?? RECHECK_MS);
      if (next === 'timeout') {
        const now = await readState(opts.db, fileUuid);
        const file = now?.[now.length - 1];
        if (!file) return;
        if (isFinalEvent(file)) {
          yield* now!;
          return;
        }
        continue;
      }
      if (next.done) return;
      pending = iterator.next();
      yield next.value;
      if (isFinalEvent(next.value)) return;
    }
  } finally {
    opts.signal?.removeEventListener('abort', abort);
    controller.abort();
    // the aborted subscription settles its pending next(); nothing is left listening
    await pending.catch(() => undefined);
  }
}
