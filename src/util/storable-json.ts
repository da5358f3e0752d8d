import type { FieldIssue } from '../graphql/errors.js';
import { isStorableText } from './text.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

const MAX_DEPTH = 20;

/** True for `{…}` values (not arrays, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a string can be stored in text/jsonb columns (no NUL, no unpaired surrogate). */
export const isStorableString = isStorableText;

/** Number of Unicode code points, the unit every length limit here counts in. */
export function codePointLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/**
 * Problems that would make a JSON value fail or bloat a jsonb column: unstorable strings (in keys too), nesting
 * deeper than 20 levels, non-finite numbers, and a serialised size over `maxBytes`.
 */
export function storableJsonIssues(value: unknown, path: string, maxBytes: number): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const walk = (v: unknown, at: string, depth: number): void => {
    if (issues.length > 0) return;
    if (depth > MAX_DEPTH) {
      issues.push({ path: at, message: `is nested deeper than ${MAX_DEPTH} levels` });
    } else if (typeof v === 'string') {
      if (!isStorableString(v)) issues.push({ path: at, message: 'contains characters that cannot be stored (NUL or unpaired surrogates)' });
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) issues.push({ path: at, message: 'must be a finite number' });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${at}.${i}`, depth + 1));
    } else if (isJsonObject(v)) {
      for (const [key, item] of Object.entries(v)) {
        if (!isStorableString(key)) issues.push({ path: at, message: 'has a key that cannot be stored' });
        else walk(item, `${at}.${key}`, depth + 1);
      }
    }
  };
  walk(value, path, 0);
  if (issues.length === 0 && Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8') > maxBytes) {
    issues.push({ path, message: `must be at most ${maxBytes} bytes as JSON` });
  }
  return issues;
}
