import { FILE_TYPES, type FieldDefinition } from './field-types.js';

/**
 * What a new field list changes for data already stored: `removed` keys keep their values in old rows but are no
 * longer validated or accepted; `retyped` and `tightened` fields may make old values invalid, which shows in
 * `EntityData.validationIssues` and is enforced on the row's next write.
 */
export type FieldChanges = { added: string[]; removed: string[]; retyped: string[]; tightened: string[] };

const optionsRemoved = (before: FieldDefinition, after: FieldDefinition) =>
  (before.options ?? []).some((o) => !(after.options ?? []).includes(o));

const lowered = (before: number | null | undefined, after: number | null | undefined, larger: boolean) =>
  after != null && (before == null || (larger ? after < before : after > before));

/** Compares two field lists by key; `tightened` = newly required, options dropped, or a narrower length/range/count. */
export function diffFields(before: readonly FieldDefinition[], after: readonly FieldDefinition[]): FieldChanges {
  const old = new Map(before.map((f) => [f.key, f]));
  const next = new Map(after.map((f) => [f.key, f]));
  const changes: FieldChanges = { added: [], removed: [], retyped: [], tightened: [] };
  for (const field of after) {
    const previous = old.get(field.key);
    if (!previous) changes.added.push(field.key);
    else if (previous.type !== field.type) changes.retyped.push(field.key);
    else if (
      (field.required && !previous.required) ||
      optionsRemoved(previous, field) ||
      (field.allow_multiple === false && previous.allow_multiple !== false) ||
      (field.allow_empty === false && previous.allow_empty !== false) ||
      lowered(previous.max_length, field.max_length, true) ||
      lowered(previous.min_length, field.min_length, false) ||
      lowered(previous.max, field.max, true) ||
      lowered(previous.min, field.min, false) ||
      lowered(previous.max_entries, field.max_entries, true)
    ) {
      changes.tightened.push(field.key);
    }
  }
  for (const field of before) if (!next.has(field.key)) changes.removed.push(field.key);
  return changes;
}

/**
 * Keys that become file or image fields (added, or retyped from another kind): values stored under them were never
 * checked as file references, yet readers of the data would now get the files they name.
 */
export function keysBecomingFiles(before: readonly FieldDefinition[], after: readonly FieldDefinition[]): string[] {
  const old = new Map(before.map((f) => [f.key, f]));
  return after.filter((f) => FILE_TYPES.has(f.type) && !FILE_TYPES.has(old.get(f.key)?.type ?? '')).map((f) => f.key);
}
