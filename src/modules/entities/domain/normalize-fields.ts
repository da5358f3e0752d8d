import type { FieldIssue } from '../../../graphql/errors.js';
import {
  DATE_FORMATS,
  FIELD_TYPES,
  FIELD_TYPE_INFO,
  FILE_TYPES,
  PROP_NAMES,
  RICH_TEXT_TOOLBARS,
  isFieldType,
  type FieldDefinition,
  type PropName,
} from './field-types.js';
import { codePointLength, isStorableString, storableJsonIssues, type JsonValue } from '../../../util/storable-json.js';
import { checkFieldValue } from './validate-field-value.js';

export const FIELD_KEY = /^[a-z][a-z0-9_]{0,49}$/;
export const MAX_FIELDS = 100;
export const MAX_OPTIONS = 200;
export const LABEL_MAX = 255;
const ACCEPT_PATTERN = /^(\.[a-z0-9]{1,16}|[a-z]+\/(\*|[a-z0-9.+-]+))$/;

/** A field as a client sends it (GraphQL `EntityFieldInput`); props that do not apply to the type must be left out. */
export type FieldInput = {
  type: string;
  key: string;
  label: string;
  required?: boolean | null;
  default?: unknown;
  options?: readonly string[] | null;
} & { [P in PropName]?: (P extends 'accept' ? readonly string[] : P extends 'placeholder' | 'format' | 'toolbar' ? string : P extends 'allowEmpty' | 'allowMultiple' ? boolean : number) | null };

export type NormalizedFields = { ok: true; fields: FieldDefinition[] } | { ok: false; issues: FieldIssue[] };

type PropRule = { kind: 'int'; min: number; max: number } | { kind: 'number'; positive?: boolean } | { kind: 'text'; max: number } | { kind: 'oneOf'; options: readonly string[] } | { kind: 'boolean' } | { kind: 'accept' };

const PROP_RULES: Readonly<Record<PropName, PropRule>> = {
  placeholder: { kind: 'text', max: 255 },
  maxLength: { kind: 'int', min: 1, max: 1_000_000 },
  minLength: { kind: 'int', min: 0, max: 1_000_000 },
  rows: { kind: 'int', min: 1, max: 100 },
  min: { kind: 'number' },
  max: { kind: 'number' },
  step: { kind: 'number', positive: true },
  format: { kind: 'oneOf', options: DATE_FORMATS },
  allowEmpty: { kind: 'boolean' },
  allowMultiple: { kind: 'boolean' },
  maxEntries: { kind: 'int', min: 1, max: 100 },
  maxFileSize: { kind: 'int', min: 1, max: Number.MAX_SAFE_INTEGER },
  accept: { kind: 'accept' },
  toolbar: { kind: 'oneOf', options: RICH_TEXT_TOOLBARS },
};

function propIssue(rule: PropRule, value: unknown): string | null {
  switch (rule.kind) {
    case 'int':
      return Number.isInteger(value) && (value as number) >= rule.min && (value as number) <= rule.max
        ? null
        : `must be a whole number from ${rule.min} to ${rule.max}`;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      return rule.positive && value <= 0 ? 'must be greater than 0' : null;
    case 'text':
      return typeof value === 'string' && codePointLength(value) <= rule.max && isStorableString(value) ? null : `must be at most ${rule.max} characters`;
    case 'oneOf':
      return rule.options.includes(value as string) ? null : `must be one of: ${rule.options.join(', ')}`;
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'accept':
      if (!Array.isArray(value) || value.length > 50) return 'must be a list of at most 50 patterns';
      return value.every((p) => typeof p === 'string' && ACCEPT_PATTERN.test(p.trim().toLowerCase()))
        ? null
        : 'entries must be extensions (".pdf") or MIME types ("image/*", "application/pdf")';
  }
}

function normalizeOptions(input: FieldInput, at: string, issues: FieldIssue[]): string[] | undefined {
  const requires = isFieldType(input.type) && FIELD_TYPE_INFO[input.type].requiresOptions;
  if (input.options == null) {
    if (requires) issues.push({ path: `${at}.options`, message: `are required for ${input.type} fields` });
    return undefined;
  }
  if (!requires) {
    issues.push({ path: `${at}.options`, message: `are not used by ${input.type} fields` });
    return undefined;
  }
  const options = input.options.map((o) => o.trim());
  if (options.length === 0) issues.push({ path: `${at}.options`, message: `are required for ${input.type} fields` });
  if (options.length > MAX_OPTIONS) issues.push({ path: `${at}.options`, message: `at most ${MAX_OPTIONS} options` });
  options.forEach((o, i) => {
    if (o.length === 0 || codePointLength(o) > 255 || !isStorableString(o)) {
      issues.push({ path: `${at}.options.${i}`, message: 'must be 1 to 255 characters' });
    } else if (options.indexOf(o) !== i) {
      issues.push({ path: `${at}.options.${i}`, message: 'is listed twice' });
    }
  });
  return options;
}

function normalizeOne(input: FieldInput, at: string, issues: FieldIssue[]): FieldDefinition | null {
  const before = issues.length;
  if (!isFieldType(input.type)) {
    issues.push({ path: `${at}.type`, message: `must be one of: ${FIELD_TYPES.join(', ')}` });
    return null;
  }
  const info = FIELD_TYPE_INFO[input.type];
  if (!FIELD_KEY.test(input.key)) {
    issues.push({ path: `${at}.key`, message: 'must start with a-z and contain only a-z, 0-9 and _ (at most 50)' });
  }
  const label = input.label.trim();
  if (label.length === 0 || codePointLength(label) > LABEL_MAX || !isStorableString(label)) {
    issues.push({ path: `${at}.label`, message: `must be 1 to ${LABEL_MAX} characters` });
  }
  const options = normalizeOptions(input, at, issues);
  const field: FieldDefinition = {
    type: input.type,
    key: input.key,
    label,
    required: input.required ?? false,
    default: null,
    validation: {},
    ...(options ? { options } : {}),
    ...(info.defaultProps as Partial<FieldDefinition>),
  };
  for (const prop of Object.keys(PROP_NAMES) as PropName[]) {
    const value = input[prop];
    if (value == null) continue;
    if (!info.props.includes(prop)) {
      issues.push({ path: `${at}.${prop}`, message: `is not used by ${input.type} fields` });
      continue;
    }
    const problem = propIssue(PROP_RULES[prop], value);
    if (problem) issues.push({ path: `${at}.${prop}`, message: problem });
    else (field as Record<string, unknown>)[PROP_NAMES[prop]] = prop === 'accept' ? (value as string[]).map((p) => p.trim().toLowerCase()) : value;
  }
  if (field.min != null && field.max != null && field.min > field.max) issues.push({ path: `${at}.min`, message: 'must not exceed max' });
  if (field.min_length !== undefined && field.max_length !== undefined && field.min_length > field.max_length) {
    issues.push({ path: `${at}.minLength`, message: 'must not exceed maxLength' });
  }
  if (issues.length > before) return null;

  // the default must itself be a valid value (and is stored normalised); booleans start false, as in the original
  if (input.default !== undefined && input.default !== null) {
    if (FILE_TYPES.has(input.type)) {
      issues.push({ path: `${at}.default`, message: `${input.type} fields have no default` });
      return null;
    }
    const checked = checkFieldValue({ ...field, required: false }, input.default);
    const storable = storableJsonIssues(input.default, `${at}.default`, 16_384);
    if (!checked.ok) issues.push({ path: `${at}.default`, message: checked.message });
    else if (storable.length > 0) issues.push(...storable);
    else field.default = (checked.value ?? null) as JsonValue;
  } else if (input.type === 'boolean') {
    field.default = false;
  }
  return field;
}

/** Validates a whole field list (types, unique keys, labels, options, props, defaults) into the stored shape. */
export function normalizeFieldDefinitions(inputs: readonly FieldInput[]): NormalizedFields {
  const issues: FieldIssue[] = [];
  if (inputs.length > MAX_FIELDS) return { ok: false, issues: [{ path: 'fields', message: `at most ${MAX_FIELDS} fields` }] };
  const fields: FieldDefinition[] = [];
  const keys = new Set<string>();
  inputs.forEach((input, i) => {
    const field = normalizeOne(input, `fields.${i}`, issues);
    if (keys.has(input.key)) issues.push({ path: `fields.${i}.key`, message: 'is used by another field' });
    keys.add(input.key);
    if (field) fields.push(field);
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, fields };
}
