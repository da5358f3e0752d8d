/** Keys the reference keeps out of `list_public_settings` (§5.2): OAuth secrets and AWS credentials. */
export const RESTRICTED_KEYS: ReadonlySet<string> = new Set([
  'oauth_google_client_secret',
  'oauth_github_client_secret',
  'oauth_facebook_app_secret',
  'aws_access_key_id',
  'aws_secret_access_key',
]);

/** Endings that mark a credential whatever the key's prefix (e.g. `smtp_password`, `stripe_api_key`). */
export const RESTRICTED_SUFFIXES: readonly string[] = ['_secret', '_password', '_key', '_token', '_credentials'];

/** Integration connections (reference §5.1: key = uuid, credentials inside value_json) are restricted as a whole. */
export const RESTRICTED_MODULES: ReadonlySet<string> = new Set(['integrations']);

/** Whether only admins may read this setting; keys are compared lower-cased so rows written elsewhere match too. */
export function isRestrictedSetting(key: string, module: string | null): boolean {
  const k = key.toLowerCase();
  if (RESTRICTED_KEYS.has(k)) return true;
  if (RESTRICTED_SUFFIXES.some((suffix) => k.endsWith(suffix))) return true;
  return module !== null && RESTRICTED_MODULES.has(module.toLowerCase());
}
