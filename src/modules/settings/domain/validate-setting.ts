import type { FieldIssue } from '../../../graphql/errors.js';
import { roleNameKey } from '../../roles/domain/role-input.js';
import { ADMIN_ROLE, OWNER_ROLE } from '../../roles/domain/role-rules.js';
import { SETTING_DEFAULTS } from './defaults.js';
import { normalizeTimezone } from './timezone.js';
import { isStorableText } from '../../../util/text.js';

export const KEY_MAX = 255;
export const MODULE_MAX = 255;
/** String values: at most 1000 characters (reference §5.2), counted as Unicode code points. */
export const VALUE_MAX = 1000;
export const JSON_MAX_BYTES = 65_536;
export const JSON_MAX_DEPTH = 20;

// lower-case ASCII: snake_case names, uuids (integration rows) and "auto_granted_perm:<key>" all fit; homoglyphs do not
const KEY_PATTERN = /^[a-z0-9][a-z0-9_.:-]*$/;
const MODULE_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Keys that may be blank (reference §5.2 `@optional_settings`); every other string value needs 1-1000 characters. */
const OPTIONAL_KEYS: ReadonlySet<string> = new Set([
  'sqs_polling_interval_ms',
  'site_url',
  'site_icon_file_uuid',
  'default_tab_title',
  'main_page_path',
  'after_registration_path',
  'oauth_google_client_id',
  'oauth_google_client_secret',
  'oauth_github_client_id',
  'oauth_github_client_secret',
  'oauth_facebook_app_id',
  'oauth_facebook_app_secret',
  'maintenance_scheduled_start',
  'maintenance_scheduled_end',
  'from_name',
  'from_email',
  'default_email_integration_uuid',
  'crawlers_google_verification',
  'crawlers_bing_verification',
  'crawlers_llms_extra',
]);
const OPTIONAL_PREFIXES = ['aws_', 'auth_'];

export function isOptionalKey(key: string): boolean {
  return OPTIONAL_KEYS.has(key) || OPTIONAL_PREFIXES.some((p) => key.startsWith(p));
}

/** What a known key's string must look like, so a typo ("yes", "7 days") cannot silently read as false or 0. */
export type ValueRule =
  | { kind: 'text' }
  | { kind: 'boolean' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'oneOf'; options: readonly string[] }
  | { kind: 'timezone' }
  | { kind: 'defaultRole' };

/** A trash kept longer than a century is kept forever; beyond some millions of days no date can be computed. */
export const TRASH_RETENTION_MAX_DAYS = 36_500;

const EXPLICIT_RULES: Readonly<Record<string, ValueRule>> = {
  trash_retention_days: { kind: 'integer', min: 0, max: TRASH_RETENTION_MAX_DAYS },
  week_start_day: { kind: 'integer', min: 1, max: 7 },
  storage_redundancy_copies: { kind: 'integer', min: 1, max: 5 },
  email_sampling_rate: { kind: 'integer', min: 0, max: 100 },
  time_zone: { kind: 'timezone' },
  date_format: { kind: 'oneOf', options: ['Y-m-d', 'm/d/Y', 'd/m/Y', 'd.m.Y', 'd-m-Y', 'F j, Y'] },
  time_format: { kind: 'oneOf', options: ['H:i', 'h:i A'] },
  editor_default_mode: { kind: 'oneOf', options: ['hybrid', 'visual', 'markdown', 'html'] },
  // every registration gets it: Owner or Admin there would hand them to anyone who signs up
  new_user_default_role: { kind: 'defaultRole' },
};

/** Explicit rules first; otherwise a key whose default is "true"/"false" is a boolean, one whose default is digits an integer. */
export function valueRuleFor(key: string): ValueRule {
  if (Object.hasOwn(EXPLICIT_RULES, key)) return EXPLICIT_RULES[key]!;
  const fallback = Object.hasOwn(SETTING_DEFAULTS, key) ? SETTING_DEFAULTS[key] : undefined;
  if (fallback === 'true' || fallback === 'false') return { kind: 'boolean' };
  if (fallback !== undefined && /^[0-9]+$/.test(fallback)) return { kind: 'integer', min: 0, max: 2_147_483_647 };
  return { kind: 'text' };
}

const PRIVILEGED_KEYS = [OWNER_ROLE, ADMIN_ROLE].map(roleNameKey);

function ruleIssue(rule: ValueRule, value: string): string | null {
  switch (rule.kind) {
    case 'text':
      return null;
    case 'boolean':
      return value === 'true' || value === 'false' ? null : 'must be "true" or "false"';
    case 'integer': {
      const ok = /^(0|[1-9][0-9]{0,9})$/.test(value) && Number(value) >= rule.min && Number(value) <= rule.max;
      return ok ? null : `must be a whole number from ${rule.min} to ${rule.max}`;
    }
    case 'oneOf':
      return rule.options.includes(value) ? null : `must be one of: ${rule.options.join(' | ')}`;
    case 'timezone':
      return normalizeTimezone(value) ? null : 'must be a UTC offset from -12 to +14 (e.g. "0", "5.5", "-03:30") or an IANA zone';
    case 'defaultRole':
      // role names compare in any case: `owner` is the Owner role's name too
      return PRIVILEGED_KEYS.includes(roleNameKey(value))
        ? 'must name a role other than Owner and Admin (new accounts get it)'
        : null;
  }
}

export function validateKey(key: string, path = 'key'): FieldIssue[] {
  if (key.length === 0) return [{ path, message: 'is required' }];
  if (key.length > KEY_MAX) return [{ path, message: `must be at most ${KEY_MAX} characters` }];
  if (!KEY_PATTERN.test(key)) {
    return [{ path, message: 'must start with a lower-case letter or digit and contain only a-z, 0-9, _ . : -' }];
  }
  return [];
}

function validateValue(key: string, value: string): FieldIssue[] {
  const path = 'value';
  if (!isStorableText(value)) return [{ path, message: 'must not contain NUL or unpaired surrogate characters' }];
  const length = [...value].length;
  if (length > VALUE_MAX) return [{ path, message: `must be at most ${VALUE_MAX} characters` }];
  if (length === 0) return isOptionalKey(key) ? [] : [{ path, message: 'must not be empty for this key' }];
  const issue = ruleIssue(valueRuleFor(key), value);
  return issue ? [{ path, message: issue }] : [];
}

export type JsonObject = { [key: string]: unknown };

const isPlainObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Walks without recursion so a hostile nesting depth cannot overflow the stack before it is refused. */
function jsonIssue(root: JsonObject): string | null {
  const stack: Array<[unknown, number]> = [[root, 1]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [node, depth] = item;
    if (node === null || typeof node === 'boolean') continue;
    if (typeof node === 'string') {
      if (!isStorableText(node)) return 'must not contain NUL or unpaired surrogate characters';
    } else if (typeof node === 'number') {
      if (!Number.isFinite(node)) return 'must contain only finite numbers';
    } else if (typeof node === 'object') {
      if (depth > JSON_MAX_DEPTH) return `must nest at most ${JSON_MAX_DEPTH} levels`;
      for (const [k, v] of Object.entries(node)) {
        if (!Array.isArray(node) && !isStorableText(k)) return 'must not contain NUL or unpaired surrogate characters';
        stack.push([v, depth + 1]);
      }
    } else {
      return 'must contain only JSON values';
    }
  }
  if (Buffer.byteLength(JSON.stringify(root), 'utf8') > JSON_MAX_BYTES) return `must be at most ${JSON_MAX_BYTES} bytes as JSON`;
  return null;
}

function validateJson(key: string, value: unknown): FieldIssue[] {
  const path = 'valueJson';
  if (!isPlainObject(value)) return [{ path, message: 'must be a JSON object' }];
  // every known key holds a string (a JSON title would read as no title at all)
  if (Object.hasOwn(EXPLICIT_RULES, key) || Object.hasOwn(SETTING_DEFAULTS, key)) {
    return [{ path, message: 'this key holds a string; use value' }];
  }
  const issue = jsonIssue(value);
  return issue ? [{ path, message: issue }] : [];
}

function validateModule(module: string): FieldIssue[] {
  const path = 'module';
  if (module.length === 0 || module.length > MODULE_MAX) return [{ path, message: `must be 1 to ${MODULE_MAX} characters` }];
  if (!MODULE_PATTERN.test(module)) return [{ path, message: 'must start with a-z and contain only a-z, 0-9, _' }];
  return [];
}

export type SettingInput = { key: string; value?: string | null; valueJson?: unknown; module?: string | null };

/** A checked write: exactly one of value/valueJson is set; `module` undefined keeps a stored row's module. */
export type SettingWrite =
  | { key: string; value: string; valueJson: null; module: string | null | undefined }
  | { key: string; value: null; valueJson: JsonObject; module: string | null | undefined };

export type ParsedSettingInput = { ok: true; write: SettingWrite } | { ok: false; issues: FieldIssue[] };

/** Checks an update before any SQL runs: key format, exactly one of value/valueJson, the reference's length rules, known-key types. */
export function parseSettingInput(input: SettingInput): ParsedSettingInput {
  const value = input.value ?? null;
  const json = input.valueJson ?? null;
  const issues = validateKey(input.key);
  if (value !== null && json !== null) issues.push({ path: 'value', message: 'give either value or valueJson, not both' });
  if (value === null && json === null) issues.push({ path: 'value', message: 'give value or valueJson' });
  if (typeof input.module === 'string') issues.push(...validateModule(input.module));
  if (issues.length > 0) return { ok: false, issues };

  if (value !== null) {
    const valueIssues = validateValue(input.key, value);
    return valueIssues.length > 0
      ? { ok: false, issues: valueIssues }
      : { ok: true, write: { key: input.key, value, valueJson: null, module: input.module } };
  }
  const jsonIssues = validateJson(input.key, json);
  return jsonIssues.length > 0
    ? { ok: false, issues: jsonIssues }
    : { ok: true, write: { key: input.key, value: null, valueJson: json as JsonObject, module: input.module } };
}
