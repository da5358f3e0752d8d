import { describe, expect, test } from 'vitest';
import { isRestrictedSetting } from './restricted.js';

describe('isRestrictedSetting', () => {
  test.each([
    ['oauth_google_client_secret', null, true],
    ['oauth_github_client_secret', null, true],
    ['oauth_facebook_app_secret', null, true],
    ['aws_access_key_id', null, true],
    ['aws_secret_access_key', null, true],
    ['smtp_password', null, true],
    ['stripe_api_key', 'billing', true],
    ['webhook_token', null, true],
    ['gcs_credentials', null, true],
    ['SMTP_PASSWORD', null, true],
    ['0190a5c4-1b2c-7d3e-8f90-123456789abc', 'integrations', true],
    ['anything', 'Integrations', true],
    ['project_title', null, false],
    ['oauth_google_client_id', null, false],
    ['aws_ses_configuration_set', null, false],
    ['allow_registration', 'system', false],
    ['key', null, false],
    ['secret_santa_enabled', null, false],
  ])('%s (module %s) → %s', (key, module, expected) => {
    expect(isRestrictedSetting(key, module)).toBe(expected);
  });
});
