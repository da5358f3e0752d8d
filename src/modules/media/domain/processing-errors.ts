/**
 * A failure that retrying cannot fix (a missing tool, an unreadable or oversized input): the job records it as the
 * file's or the variant's reason at once instead of retrying. Any other error is taken as transient and retried.
 */
export class PermanentMediaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentMediaError';
  }
}

/** A binary the pipeline needs is not installed (or not at the configured path). */
export class ToolMissingError extends PermanentMediaError {
  constructor(
    readonly tool: string,
    readonly path: string,
    hint: string,
  ) {
    super(`${hint} (no executable "${path}")`);
    this.name = 'ToolMissingError';
  }
}

export const isPermanent = (error: unknown): error is PermanentMediaError => error instanceof PermanentMediaError;

/** A reason short enough for metadata and events: the error's message, without paths of our temporary files. */
export function reasonOf(error: unknown, prefix?: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const clean = message.replace(/\/[^\s"']*pk-media-[^\s"']*/g, '<file>').replace(/\s+/g, ' ').trim();
  const text = prefix ? `${prefix}: ${clean}` : clean;
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
