import { describe, expect, test } from 'vitest';
import { JSON_MAX_BYTES, JSON_MAX_DEPTH, parseSettingInput, valueRuleFor, type SettingInput } from './validate-setting.js';

const nested = (depth: number): Record<string, unknown> => {
  let node: Record<string, unknown> = {};
  for (let i = 1; i < depth; i += 1) node = { n: node };
  return node;
};

describe('parseSettingInput accepts', () => {
  test.each<[string, SettingInput]>([
    ['a plain string', { key: 'project_title', value: 'My site' }],
    ['1000 characters', { key: 'project_title', value: 'x'.repeat(1000) }],
    ['1000 astral characters (2000 UTF-16 units)', { key: 'project_title', value: '😀'.repeat(1000) }],
    ['combining marks and RTL text', { key: 'project_title', value: 'é — שלום — ﷽' }],
    ['a blank optional key', { key: 'site_url', value: '' }],
    ['a blank aws_* key', { key: 'aws_region', value: '' }],
    ['a boolean key', { key: 'allow_registration', value: 'false' }],
    ['an integer key', { key: 'comments_max_depth', value: '3' }],
    ['an integer key at its bound', { key: 'week_start_day', value: '7' }],
    ['a trash kept a century', { key: 'trash_retention_days', value: '36500' }],
    ['a fractional time_zone offset', { key: 'time_zone', value: '5.75' }],
    ['an IANA time_zone', { key: 'time_zone', value: 'Europe/Tallinn' }],
    ['a listed date_format', { key: 'date_format', value: 'F j, Y' }],
    ['a custom role as the default role of new accounts', { key: 'new_user_default_role', value: 'Editor' }],
    ['a JSON object', { key: 'legal_frameworks', valueJson: { items: [] } }],
    ['JSON under a key named like an Object property', { key: 'constructor', valueJson: { a: 1 } }],
    ['text under a key named like an Object property', { key: 'tostring', value: 'x' }],
    ['text under constructor', { key: 'constructor', value: 'anything' }],
    ['JSON at the depth limit', { key: 'deep', valueJson: nested(JSON_MAX_DEPTH) }],
    ['a uuid key (integration row)', { key: '0190a5c4-1b2c-7d3e-8f90-123456789abc', valueJson: { provider: 'x' }, module: 'integrations' }],
    ['a colon key', { key: 'auto_granted_perm:media', value: 'true' }],
    ['null valueJson beside a value', { key: 'project_title', value: 'x', valueJson: null }],
  ])('%s', (_name, input) => {
    expect(parseSettingInput(input)).toMatchObject({ ok: true });
  });

  test('a string write clears the JSON column and the other way round', () => {
    expect(parseSettingInput({ key: 'a', value: 'v' })).toEqual({
      ok: true,
      write: { key: 'a', value: 'v', valueJson: null, module: undefined },
    });
    expect(parseSettingInput({ key: 'a', valueJson: { v: 1 }, module: 'm' })).toEqual({
      ok: true,
      write: { key: 'a', value: null, valueJson: { v: 1 }, module: 'm' },
    });
  });
});

describe('parseSettingInput refuses', () => {
  test.each<[string, SettingInput, string]>([
    ['an empty key', { key: '', value: 'x' }, 'key'],
    ['a 256-character key', { key: 'k'.repeat(256), value: 'x' }, 'key'],
    ['an upper-case key', { key: 'Project_Title', value: 'x' }, 'key'],
    ['a key with a space', { key: 'project title', value: 'x' }, 'key'],
    ['a key with trailing whitespace', { key: 'project_title ', value: 'x' }, 'key'],
    ['a homoglyph key (Cyrillic а)', { key: 'аllow_registration', value: 'true' }, 'key'],
    ['an accented key', { key: 'clé', value: 'x' }, 'key'],
    ['a zero-width space in the key', { key: 'site\u200burl', value: 'x' }, 'key'],
    ['both value and valueJson', { key: 'a', value: 'x', valueJson: { a: 1 } }, 'value'],
    ['neither value nor valueJson', { key: 'a' }, 'value'],
    ['two nulls', { key: 'a', value: null, valueJson: null }, 'value'],
    ['a blank required key', { key: 'project_title', value: '' }, 'value'],
    ['1001 characters', { key: 'project_title', value: 'x'.repeat(1001) }, 'value'],
    ['1001 astral characters', { key: 'project_title', value: '😀'.repeat(1001) }, 'value'],
    ['a NUL character', { key: 'project_title', value: 'a\u0000b' }, 'value'],
    ['a lone high surrogate', { key: 'project_title', value: 'a\ud800b' }, 'value'],
    ['a lone low surrogate', { key: 'project_title', value: '\udc00' }, 'value'],
    ['"yes" for a boolean', { key: 'allow_registration', value: 'yes' }, 'value'],
    ['"TRUE" for a boolean', { key: 'allow_registration', value: 'TRUE' }, 'value'],
    ['full-width digits for an integer', { key: 'comments_max_depth', value: '１０' }, 'value'],
    ['a negative integer', { key: 'comments_max_depth', value: '-1' }, 'value'],
    ['an integer out of its range', { key: 'week_start_day', value: '8' }, 'value'],
    ['a trash kept longer than a century (no date that far back)', { key: 'trash_retention_days', value: '2147483647' }, 'value'],
    ['an offset beyond +14', { key: 'time_zone', value: '15' }, 'value'],
    ['an unlisted date_format', { key: 'date_format', value: 'Y/m/d' }, 'value'],
    ['Admin as the default role of new accounts', { key: 'new_user_default_role', value: 'Admin' }, 'value'],
    ['Owner as the default role of new accounts', { key: 'new_user_default_role', value: 'Owner' }, 'value'],
    ['"yes" for storage_keep_gps_metadata', { key: 'storage_keep_gps_metadata', value: 'yes' }, 'value'],
    ['"1" for comments_moderation', { key: 'comments_moderation', value: '1' }, 'value'],
    ['"yes" for entities_file_upload', { key: 'entities_file_upload', value: 'yes' }, 'value'],
    ['"TRUE" for entities_allow_relations', { key: 'entities_allow_relations', value: 'TRUE' }, 'value'],
    ['JSON for a string-typed key', { key: 'allow_registration', valueJson: { on: true } }, 'valueJson'],
    ['JSON for a known text key', { key: 'project_title', valueJson: { title: 'x' } }, 'valueJson'],
    ['JSON for a known key without a default', { key: 'date_format', valueJson: { f: 'Y' } }, 'valueJson'],
    ['owner in lower case as the default role', { key: 'new_user_default_role', value: 'owner' }, 'value'],
    ['ADMIN in upper case as the default role', { key: 'new_user_default_role', value: 'ADMIN' }, 'value'],
    ['a JSON array', { key: 'a', valueJson: [1, 2] }, 'valueJson'],
    ['a JSON string', { key: 'a', valueJson: 'text' }, 'valueJson'],
    ['a JSON number', { key: 'a', valueJson: 42 }, 'valueJson'],
    ['a JSON boolean', { key: 'a', valueJson: true }, 'valueJson'],
    ['JSON nested too deep', { key: 'a', valueJson: nested(JSON_MAX_DEPTH + 1) }, 'valueJson'],
    ['oversize JSON', { key: 'a', valueJson: { s: 'x'.repeat(JSON_MAX_BYTES) } }, 'valueJson'],
    ['NUL inside JSON', { key: 'a', valueJson: { s: ['ok', 'a\u0000'] } }, 'valueJson'],
    ['a lone surrogate in a JSON key', { key: 'a', valueJson: { ['\ud83d']: 1 } }, 'valueJson'],
    ['an invalid module', { key: 'a', value: 'x', module: 'Bad Module' }, 'module'],
    ['an empty module', { key: 'a', value: 'x', module: '' }, 'module'],
  ])('%s', (_name, input, path) => {
    const result = parseSettingInput(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path)).toContain(path);
  });
});

describe('valueRuleFor', () => {
  test.each([
    ['allow_registration', 'boolean'],
    ['comments_max_length', 'integer'],
    ['week_start_day', 'integer'],
    ['time_zone', 'timezone'],
    ['time_format', 'oneOf'],
    ['new_user_default_role', 'defaultRole'],
    ['storage_keep_gps_metadata', 'boolean'],
    ['project_title', 'text'],
    ['unknown_key', 'text'],
  ])('%s is %s', (key, kind) => {
    expect(valueRuleFor(key).kind).toBe(kind);
  });
});
