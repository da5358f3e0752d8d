import { EventEmitter, on } from 'node:events';

/** A change of a file's or one variant's processing status, as the `fileProcessing` subscription emits it. */
export type FileProcessingEvent = Readonly<{
  fileUuid: string;
  /** null for the file as a whole. */
  variant: string | null;
  status: 'pending' | 'processing' | 'completed' | 'failed' | 'active';
  reason: string | null;
  at: string;
}>;

export interface FileEvents {
  publish(event: FileProcessingEvent): Promise<void>;
  /** Events for one file until `signal` aborts. */
  subscribe(fileUuid: string, signal: AbortSignal): AsyncIterable<FileProcessingEvent>;
  /**
   * Resolves once events published from now on, in any process, reach subscriptions already started (the
   * cross-process implementation waits for its LISTEN connection, at most a few seconds). Absent: always so.
   */
  ready?(): Promise<void>;
  close(): Promise<void>;
}

/** Single-process events (an EventEmitter); the cross-process implementation replaces it where processes differ. */
export function createLocalFileEvents(): FileEvents {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async publish(event) {
      emitter.emit(event.fileUuid, event);
    },
    async *subscribe(fileUuid, signal) {
      try {
        for await (const [event] of on(emitter, fileUuid, { signal })) yield event as FileProcessingEvent;
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
      }
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}
