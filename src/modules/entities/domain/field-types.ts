import { isJsonObject, type JsonObject, type JsonValue } from '../../../util/storable-json.js';

/** The 13 field types an entity may declare (reference §6.2 plus `image`, product.md §5). */
export const FIELD_TYPES = [
  'text',
  'textarea',
  'email',
  'url',
  'rich_text',
  'number',
  'boolean',
  'date',
  'select',
  'radio',
  'checkbox',
  'file',
  'image',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const isFieldType = (value: unknown): value is FieldType => FIELD_TYPES.includes(value as FieldType);

/** Display formats a date field may name; values are always stored as `YYYY-MM-DD`. */
export const DATE_FORMATS = ['Y-m-d', 'm/d/Y', 'd/m/Y', 'd.m.Y', 'd-m-Y', 'F j, Y'] as const;
export const RICH_TEXT_TOOLBARS = ['basic', 'full'] as const;

/**
 * One field as stored in `fields_definition` (the original's shape: snake_case props beside type/key/label).
 * `type` is a string because a database written by the original may hold types we do not know; their values pass
 * unchecked, as there.
 */
export type FieldDefinition = {
  type: string;
  key: string;
  label: string;
  required: boolean;
  default: JsonValue;
  validation: JsonObject;
  options?: string[];
  placeholder?: string;
  max_length?: number;
  min_length?: number;
  rows?: number;
  min?: number | null;
  max?: number | null;
  step?: number;
  format?: string;
  allow_empty?: boolean;
  allow_multiple?: boolean;
  max_entries?: number;
  max_file_size?: number;
  accept?: string[];
  toolbar?: string;
};

/** Props a field input may set, by their GraphQL (camelCase) name, and where each is stored. */
export const PROP_NAMES = {
  placeholder: 'placeholder',
  maxLength: 'max_length',
  minLength: 'min_length',
  rows: 'rows',
  min: 'min',
  max: 'max',
  step: 'step',
  format: 'format',
  allowEmpty: 'allow_empty',
  allowMultiple: 'allow_multiple',
  maxEntries: 'max_entries',
  maxFileSize: 'max_file_size',
  accept: 'accept',
  toolbar: 'toolbar',
} as const;
export type PropName = keyof typeof PROP_NAMES;

type TypeInfo = {
  category: 'basic' | 'numeric' | 'boolean' | 'datetime' | 'choice' | 'advanced';
  requiresOptions: boolean;
  props: readonly PropName[];
  defaultProps: Partial<Record<(typeof PROP_NAMES)[PropName], JsonValue>>;
};

/** Per type: whether it needs options, which props apply, and the props a new field starts with (reference §6.2). */
export const FIELD_TYPE_INFO: Readonly<Record<FieldType, TypeInfo>> = {
  text: { category: 'basic', requiresOptions: false, props: ['placeholder', 'maxLength', 'minLength'], defaultProps: { placeholder: '', max_length: 255 } },
  textarea: {
    category: 'basic',
    requiresOptions: false,
    props: ['placeholder', 'rows', 'maxLength', 'minLength'],
    defaultProps: { placeholder: '', rows: 4, max_length: 5000 },
  },
  email: { category: 'basic', requiresOptions: false, props: ['placeholder'], defaultProps: { placeholder: 'user@example.com' } },
  url: { category: 'basic', requiresOptions: false, props: ['placeholder'], defaultProps: { placeholder: 'https://example.com' } },
  rich_text: { category: 'basic', requiresOptions: false, props: ['toolbar', 'maxLength'], defaultProps: { toolbar: 'basic' } },
  number: { category: 'numeric', requiresOptions: false, props: ['placeholder', 'min', 'max', 'step'], defaultProps: { min: null, max: null, step: 1 } },
  boolean: { category: 'boolean', requiresOptions: false, props: [], defaultProps: {} },
  date: { category: 'datetime', requiresOptions: false, props: ['format'], defaultProps: { format: 'Y-m-d' } },
  select: {
    category: 'choice',
    requiresOptions: true,
    props: ['placeholder', 'allowEmpty'],
    defaultProps: { placeholder: 'Select an option...', allow_empty: true },
  },
  radio: { category: 'choice', requiresOptions: true, props: [], defaultProps: {} },
  checkbox: { category: 'choice', requiresOptions: true, props: ['allowMultiple'], defaultProps: { allow_multiple: true } },
  file: {
    category: 'advanced',
    requiresOptions: false,
    props: ['maxEntries', 'maxFileSize', 'accept'],
    defaultProps: { max_entries: 5, max_file_size: 15_728_640, accept: ['.pdf', '.jpg', '.jpeg', '.png'] },
  },
  image: { category: 'advanced', requiresOptions: false, props: ['maxFileSize'], defaultProps: {} },
};

/** Field types whose values are lists (empty list = no value). */
export const LIST_TYPES: ReadonlySet<string> = new Set(['checkbox', 'file']);
/** Field types whose values are file uuids. */
export const FILE_TYPES: ReadonlySet<string> = new Set(['file', 'image']);

const asNumber = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};
const asBoolean = (v: unknown): boolean | undefined => (v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined);
const asStrings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x) => typeof x === 'string' || typeof x === 'number').map(String) : undefined;

/**
 * Reads `fields_definition` as stored, tolerating the original's form-submitted shapes ("true" flags, numeric strings).
 * Entries without a string type, key and label are skipped: they define no data.
 */
export function parseStoredFields(json: unknown): FieldDefinition[] {
  if (!Array.isArray(json)) return [];
  const fields: FieldDefinition[] = [];
  for (const raw of json) {
    if (!isJsonObject(raw)) continue;
    const { type, key, label } = raw;
    if (typeof type !== 'string' || typeof key !== 'string' || typeof label !== 'string') continue;
    const field: FieldDefinition = {
      type,
      key,
      label,
      required: asBoolean(raw.required) ?? false,
      default: raw.default ?? null,
      validation: isJsonObject(raw.validation) ? raw.validation : {},
    };
    const options = asStrings(raw.options);
    if (options) field.options = options;
    if (typeof raw.placeholder === 'string') field.placeholder = raw.placeholder;
    for (const prop of ['max_length', 'min_length', 'rows', 'step', 'max_entries', 'max_file_size'] as const) {
      const n = asNumber(raw[prop]);
      if (n !== undefined) field[prop] = n;
    }
    for (const prop of ['min', 'max'] as const) {
      if (raw[prop] === null) field[prop] = null;
      const n = asNumber(raw[prop]);
      if (n !== undefined) field[prop] = n;
    }
    for (const prop of ['allow_empty', 'allow_multiple'] as const) {
      const b = asBoolean(raw[prop]);
      if (b !== undefined) field[prop] = b;
    }
    if (typeof raw.format === 'string') field.format = raw.format;
    if (typeof raw.toolbar === 'string') field.toolbar = raw.toolbar;
    const accept = asStrings(raw.accept);
    if (accept) field.accept = accept;
    fields.push(field);
  }
  return fields;
}
