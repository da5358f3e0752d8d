import type { FieldIssue } from '../../../graphql/errors.js';
import { codePointLength, isJsonObject, isStorableString, storableJsonIssues, type JsonObject } from '../../../util/storable-json.js';

export const STATUSES = ['draft', 'published', 'archived'] as const;
export type Status = (typeof STATUSES)[number];
/** New entities and data rows start as drafts (the database default; the original's schema said "published"). */
export const DEFAULT_STATUS: Status = 'draft';

export const ENTITY_NAME = /^[a-z][a-z0-9_]*$/;
export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const SETTINGS_MAX_BYTES = 64 * 1024;
export const METADATA_MAX_BYTES = 64 * 1024;
// far below the column's 2^31 - 1, so the next position after any (max + 1) still fits
export const MAX_POSITION = 1_000_000_000;

const CONTROL = /[\u0000-\u001f\u007f]/;

/** `undefined` = leave as is (updates); `null` = clear, where clearing is allowed. */
export type EntityInput = {
  name?: string | null;
  displayName?: string | null;
  displayNamePlural?: string | null;
  description?: string | null;
  icon?: string | null;
  status?: string | null;
  settings?: unknown;
};

export type EntityWrite = {
  name?: string;
  displayName?: string;
  displayNamePlural?: string;
  description?: string | null;
  icon?: string | null;
  status?: Status;
  settings?: JsonObject | null;
};

const isStatus = (value: unknown): value is Status => STATUSES.includes(value as Status);

function displayText(value: string, path: string, min: number, max: number, issues: FieldIssue[]): string {
  const text = value.trim();
  const length = codePointLength(text);
  if (length < min || length > max || CONTROL.test(text) || !isStorableString(text)) {
    issues.push({ path, message: `must be ${min} to ${max} characters without control characters` });
  }
  return text;
}

/**
 * Entity attributes (reference §6.3): name 2–50 `^[a-z][a-z0-9_]*$`, display names 2–100, description ≤ 500, icon ≤ 255,
 * status draft/published/archived, settings a JSON object. On create name and both display names are required.
 */
export function validateEntityInput(input: EntityInput, mode: 'create' | 'update'): { write: EntityWrite; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const write: EntityWrite = {};
  const required = (key: keyof EntityInput) => {
    if (mode === 'create' ? input[key] == null : input[key] === null) issues.push({ path: key, message: 'is required' });
  };
  (['name', 'displayName', 'displayNamePlural'] as const).forEach(required);
  if (input.name != null) {
    if (input.name.length < 2 || input.name.length > 50 || !ENTITY_NAME.test(input.name)) {
      issues.push({ path: 'name', message: 'must be 2 to 50 characters: a-z first, then a-z, 0-9 or _' });
    }
    write.name = input.name;
  }
  if (input.displayName != null) write.displayName = displayText(input.displayName, 'displayName', 2, 100, issues);
  if (input.displayNamePlural != null) {
    write.displayNamePlural = displayText(input.displayNamePlural, 'displayNamePlural', 2, 100, issues);
  }
  if (input.description !== undefined) {
    const text = input.description?.trim() ?? '';
    if (codePointLength(text) > 500 || !isStorableString(text)) issues.push({ path: 'description', message: 'must be at most 500 characters' });
    write.description = text === '' ? null : text;
  }
  if (input.icon !== undefined) {
    const icon = input.icon?.trim() ?? '';
    if (icon.length > 255 || CONTROL.test(icon) || !isStorableString(icon)) {
      issues.push({ path: 'icon', message: 'must be at most 255 characters without control characters' });
    }
    write.icon = icon === '' ? null : icon;
  }
  if (input.status != null) {
    if (isStatus(input.status)) write.status = input.status;
    else issues.push({ path: 'status', message: `must be one of: ${STATUSES.join(', ')}` });
  } else if (mode === 'create') {
    write.status = DEFAULT_STATUS;
  }
  if (input.settings !== undefined) {
    if (input.settings !== null && !isJsonObject(input.settings)) issues.push({ path: 'settings', message: 'must be an object' });
    else if (input.settings !== null) issues.push(...storableJsonIssues(input.settings, 'settings', SETTINGS_MAX_BYTES));
    write.settings = (input.settings ?? null) as JsonObject | null;
  }
  return { write, issues };
}

export type DataInput = {
  title?: string | null;
  slug?: string | null;
  status?: string | null;
  metadata?: unknown;
  position?: number | null;
};

export type DataWrite = { title?: string; slug?: string | null; status?: Status; metadata?: JsonObject | null; position?: number };

/** Entity data attributes (reference §6.3): title 1–255, slug ≤ 255 of `^[a-z0-9]+(?:-[a-z0-9]+)*$`, status, metadata. */
export function validateDataInput(input: DataInput, mode: 'create' | 'update'): { write: DataWrite; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const write: DataWrite = {};
  if (mode === 'create' ? input.title == null : input.title === null) issues.push({ path: 'title', message: 'is required' });
  if (input.title != null) write.title = displayText(input.title, 'title', 1, 255, issues);
  if (input.slug !== undefined) {
    const slug = input.slug === null || input.slug === '' ? null : input.slug;
    if (slug !== null && (slug.length > 255 || !SLUG.test(slug))) {
      issues.push({ path: 'slug', message: 'must be lower-case letters and digits in words joined by single hyphens (at most 255)' });
    }
    write.slug = slug;
  }
  if (input.status != null) {
    if (isStatus(input.status)) write.status = input.status;
    else issues.push({ path: 'status', message: `must be one of: ${STATUSES.join(', ')}` });
  } else if (mode === 'create') {
    write.status = DEFAULT_STATUS;
  }
  if (input.metadata !== undefined) {
    if (input.metadata !== null && !isJsonObject(input.metadata)) issues.push({ path: 'metadata', message: 'must be an object' });
    else if (input.metadata !== null) issues.push(...storableJsonIssues(input.metadata, 'metadata', METADATA_MAX_BYTES));
    write.metadata = (input.metadata ?? null) as JsonObject | null;
  }
  if (input.position != null) {
    if (!Number.isInteger(input.position) || input.position < 0 || input.position > MAX_POSITION) {
      issues.push({ path: 'position', message: `must be a whole number from 0 to ${MAX_POSITION}` });
    } else {
      write.position = input.position;
    }
  }
  return { write, issues };
}
