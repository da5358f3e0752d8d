import type { FieldIssue } from '../../../graphql/errors.js';
import type { FieldDefinition } from './field-types.js';
import { isJsonObject, storableJsonIssues, type JsonObject, type JsonValue } from '../../../util/storable-json.js';
import { checkFieldValue } from './validate-field-value.js';

/** A key's own value (a field may be named like an Object.prototype member: `constructor`, `toString`). */
const own = (object: Record<string, unknown>, key: string): unknown => (Object.hasOwn(object, key) ? object[key] : undefined);

export const DATA_MAX_BYTES = 512 * 1024;

/** A file a data value points at, for the caller to check (the author may read it; it suits the field). */
export type FileRef = { path: string; uuid: string; field: FieldDefinition };

export type PreparedData = { ok: true; data: JsonObject; fileRefs: FileRef[] } | { ok: false; issues: FieldIssue[] };

/**
 * Builds the data to store from a write and validates all of it against the entity's current fields.
 *
 * - `existing` null (a create): fields the input leaves out get their default.
 * - `existing` set (an update): `input` is merged over it; a key set to null is removed. Every field is checked again,
 *   unchanged ones included, so data written under an older definition is re-validated on its next write.
 * - Keys of fields that no longer exist stay as they are (never dropped silently) unless the input sets them to null;
 *   giving them a value is refused, like any key that names no field.
 */
export function prepareEntityData(fields: readonly FieldDefinition[], input: unknown, existing: JsonObject | null): PreparedData {
  if (input !== undefined && input !== null && !isJsonObject(input)) return { ok: false, issues: [{ path: 'data', message: 'must be an object' }] };
  const patch: Record<string, unknown> = input ?? {};
  const issues: FieldIssue[] = [];
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const merged: Record<string, unknown> = { ...(existing ?? {}) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (!byKey.has(key)) issues.push({ path: `data.${key}`, message: 'is not a field of this entity' });
    else merged[key] = value;
  }
  if (existing === null) {
    for (const field of fields) {
      if (!Object.hasOwn(merged, field.key) && field.default !== null && field.default !== undefined) merged[field.key] = field.default;
    }
  }
  const data: JsonObject = {};
  const fileRefs: FileRef[] = [];
  for (const [key, value] of Object.entries(merged)) {
    if (!byKey.has(key)) data[key] = value as JsonValue; // a removed field's value, kept as it was
  }
  for (const field of fields) {
    const checked = checkFieldValue(field, own(merged, field.key));
    const path = `data.${field.key}`;
    if (!checked.ok) {
      issues.push({ path: checked.index === undefined ? path : `${path}.${checked.index}`, message: checked.message });
      continue;
    }
    if (checked.value !== undefined) data[field.key] = checked.value;
    checked.fileUuids.forEach((uuid, i) => fileRefs.push({ path: field.type === 'image' ? path : `${path}.${i}`, uuid, field }));
  }
  if (issues.length === 0) issues.push(...storableJsonIssues(data, 'data', DATA_MAX_BYTES));
  return issues.length > 0 ? { ok: false, issues } : { ok: true, data, fileRefs };
}

/** Keys in stored data that name no current field (left behind when a field was removed or renamed). */
export function staleDataKeys(fields: readonly FieldDefinition[], data: unknown): string[] {
  if (!isJsonObject(data)) return [];
  const keys = new Set(fields.map((f) => f.key));
  return Object.keys(data).filter((k) => !keys.has(k)).sort();
}

/** What stored data would fail if it were written now (after its entity's fields changed); empty when it is valid. */
export function auditEntityData(fields: readonly FieldDefinition[], data: unknown): FieldIssue[] {
  const stored = isJsonObject(data) ? data : {};
  const issues: FieldIssue[] = [];
  for (const field of fields) {
    const checked = checkFieldValue(field, own(stored, field.key));
    if (!checked.ok) {
      const path = `data.${field.key}`;
      issues.push({ path: checked.index === undefined ? path : `${path}.${checked.index}`, message: checked.message });
    }
  }
  return issues;
}
