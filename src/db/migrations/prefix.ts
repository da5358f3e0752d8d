export const DEFAULT_PREFIX = 'public';
const PREFIX_PATTERN = /^[a-z_][a-z0-9_]*$/;
/** Some index names embed the prefix, so it must leave room within Postgres' 63-byte identifier limit. */
export const MAX_PREFIX_BYTES = 20;

export class InvalidPrefixError extends Error {
  readonly code = 'INVALID_PREFIX';
  constructor(prefix: string, reason: string) {
    super(`Invalid prefix ${JSON.stringify(prefix)}: ${reason}`);
    this.name = 'InvalidPrefixError';
  }
}

/** Returns the prefix when it is a safe schema name, otherwise throws InvalidPrefixError (before any SQL runs). */
export function validatePrefix(prefix: string): string {
  if (typeof prefix !== 'string' || prefix.length === 0) throw new InvalidPrefixError(String(prefix), 'must not be empty');
  if (Buffer.byteLength(prefix, 'utf8') > MAX_PREFIX_BYTES) {
    throw new InvalidPrefixError(prefix, `must be at most ${MAX_PREFIX_BYTES} bytes`);
  }
  if (!PREFIX_PATTERN.test(prefix)) throw new InvalidPrefixError(prefix, 'must match ^[a-z_][a-z0-9_]*$');
  return prefix;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
