import type { FieldIssue } from '../../../graphql/errors.js';
import { storableJsonIssues } from '../../../util/storable-json.js';

export const CUSTOM_FIELD_KEY = /^[a-z][a-z0-9_]{0,63}$/;
export const CUSTOM_FIELD_MAX_BYTES = 16 * 1024;
export const CUSTOM_FIELDS_MAX_KEYS = 100;

/** Checks one custom field write: key shape, a storable JSON value (not undefined) of bounded size, and the key count. */
export function validateCustomField(key: string, value: unknown, existingKeys: readonly string[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!CUSTOM_FIELD_KEY.test(key)) {
    issues.push({ path: 'key', message: 'must start with a letter and contain only a-z, 0-9 and _ (at most 64)' });
  }
  if (value === undefined) {
    issues.push({ path: 'value', message: 'is required (use null to store an empty value)' });
  } else {
    // jsonb holds no NUL and no unpaired surrogate: refused here rather than by the database
    issues.push(...storableJsonIssues(value, 'value', CUSTOM_FIELD_MAX_BYTES));
  }
  if (!existingKeys.includes(key) && existingKeys.length >= CUSTOM_FIELDS_MAX_KEYS) {
    issues.push({ path: 'key', message: `a user has at most ${CUSTOM_FIELDS_MAX_KEYS} custom fields` });
  }
  return issues;
}
