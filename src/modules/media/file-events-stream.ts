import type { Db } from '../../db/database.js';
import type { FileEvents, FileProcessingEvent } from './file-events.js';

/**
 * What a subscriber sees: published events, and the stored state (whose file status may also be `trashed`). `final`:
 * the file as a whole is done (active, failed) and no run of it is waiting: the last event of the stream.
 */
export type FileProgressEvent = Omit<FileProcessingEvent, 'status'> & { status: string; final: boolean };

/** How often a waiting subscription re-reads the file, in case its final event was lost. */
export const RECHECK_MS = 15_000;

const settled = (status: string) => status !== 'processing' && status !== 'pending';

/** A published event: the one for the file as a whole in a settled status ends its run, and so the stream. */
export const progressOf = (event: FileProcessingEvent): FileProgressEvent => ({
  ...event,
  final: event.variant === null && settled(event.status),
});

/** A failed variant's or file's reason as the job stored it in the file's metadata. */
function storedReason(metadata: unknown, variant: string | null): string | null {
  const m = (metadata ?? {}) as { processing_error?: unknown; variant_errors?: Record<string, unknown> };
  const reason = variant === null ? m.processing_error : m.variant_errors?.[variant];
  return typeof reason === 'string' ? reason : null;
}

/**
 * The stored state: one event per variant (not the original), then one for the file. null when the file is gone.
 * `queued`: a run of the file is waiting or running, so even a settled file is not final yet.
 */
async function readState(db: Db, fileUuid: string, queued: boolean): Promise<FileProgressEvent[] | null> {
  const file = await db.file.findUnique({
    where: { uuid: fileUuid },
    select: {
      status: true,
      metadata: true,
      updatedAt: true,
      instances: {
        where: { variantName: { not: 'original' } },
        select: { variantName: true, processingStatus: true, updatedAt: true },
        orderBy: { variantName: 'asc' },
      },
    },
  });
  if (!file) return null;
  const reason = (status: string, variant: string | null) => (status === 'failed' ? storedReason(file.metadata, variant) : null);
  return [
    ...file.instances.map((i) => ({
      fileUuid,
      variant: i.variantName,
      status: i.processingStatus,
      reason: reason(i.processingStatus, i.variantName),
      at: i.updatedAt.toISOString(),
      final: false,
    })),
    {
      fileUuid,
      variant: null,
      status: file.status,
      reason: reason(file.status, null),
      at: file.updatedAt.toISOString(),
      final: settled(file.status) && !queued,
    },
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
 * published for it, in order, until the file is done (`active`, `failed`) with no run of it waiting (`queued`, e.g.
 * after regenerateVariants) — then the stream ends. It subscribes before it reads, so nothing published in between is
 * lost (at worst a state is seen twice). While waiting it re-reads the file every `recheckMs`, so a final event lost
 * with a connection still ends the stream.
 */
export async function* fileProcessingStream(opts: {
  db: Db;
  events: FileEvents;
  fileUuid: string;
  /** Whether a run of the file is waiting or running (absent: never). */
  queued?: (fileUuid: string) => Promise<boolean>;
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
    const queued = async () => (await opts.queued?.(fileUuid)) ?? false;
    const state = await readState(opts.db, fileUuid, await queued());
    if (!state) return;
    for (const event of state) yield event;
    if (state[state.length - 1]!.final) return;
    for (;;) {
      const next = await nextOrTimeout(pending, opts.recheckMs ?? RECHECK_MS);
      if (next === 'timeout') {
        const now = await readState(opts.db, fileUuid, await queued());
        const file = now?.[now.length - 1];
        if (!file) return;
        if (file.final) {
          yield* now!;
          return;
        }
        continue;
      }
      if (next.done) return;
      pending = iterator.next();
      const event = progressOf(next.value);
      yield event;
      if (event.final) return;
    }
  } finally {
    opts.signal?.removeEventListener('abort', abort);
    controller.abort();
    // the aborted subscription settles its pending next(); nothing is left listening
    await pending.catch(() => undefined);
  }
}
