import { isAbsolute, normalize, parse, resolve, sep } from 'node:path';
import type { FieldIssue } from '../../../graphql/errors.js';
import { keyProblem } from '../../../storage/storage-key.js';
import { isStorableText } from '../../../util/text.js';

export const BUCKET_PROVIDERS = ['local', 's3', 'b2', 'r2'] as const;
export const ACCESS_TYPES = ['public', 'private', 'signed'] as const;

/** Create/update input; on update, absent (undefined) fields keep their value. */
export type BucketInput = {
  name?: string | null;
  provider?: string | null;
  region?: string | null;
  endpoint?: string | null;
  bucketName?: string | null;
  accessKeyId?: string | null;
  secretAccessKey?: string | null;
  cdnUrl?: string | null;
  pathPrefix?: string | null;
  enabled?: boolean | null;
  priority?: number | null;
  maxSizeMb?: number | null;
  accessType?: string | null;
  forcePathStyle?: boolean | null;
};

type Existing = {
  provider: string;
  endpoint?: string | null;
  pathPrefix?: string | null;
  bucketName: string | null;
  accessKeyId: string | null;
  secretAccessKey: string | null;
};

/**
 * An absolute http(s) URL with a host (and a port, if any, in range), as `new URL` and the S3 client read it, without
 * credentials (`user:password@`: the field is returned to admins and stored in clear; keys have their own fields).
 */
function isHttpUrl(value: string): boolean {
  if (/\s/.test(value)) return false;
  try {
    const url = new URL(value);
    const secretFree = url.username === '' && url.password === '';
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && secretFree;
  } catch {
    return false; // a bad host (`http://%%%`) or port (`:99999`) among others
  }
}

/**
 * Why a local bucket's directory cannot be used, or null. A relative one lies under DATA_DIR and may not climb out of
 * it (`../`); the filesystem root cannot be one (without a path prefix), since the server writes and sweeps `blobs/`,
 * `tmp/` and `_tiles/` in a bucket's directory, and `/tmp` is the machine's.
 */
export function localDirectoryProblem(endpoint: string, pathPrefix: string | null): string | null {
  if (!isAbsolute(endpoint)) return normalize(endpoint).split(sep)[0] === '..' ? 'a relative directory must stay under DATA_DIR' : null;
  const dir = resolve(endpoint);
  const prefixed = Boolean(pathPrefix?.replace(/\//g, '').trim());
  return dir === parse(dir).root && !prefixed ? 'must not be the filesystem root' : null;
}

/** An unpaired surrogate would be stored as U+FFFD: another value than the one given. */
const UNSTORABLE_MESSAGE = 'contains characters that cannot be stored';

const TEXT_FIELDS = ['name', 'region', 'endpoint', 'bucketName', 'accessKeyId', 'cdnUrl', 'pathPrefix'] as const;

/** Rules of the reference (§2.2): S3-compatible buckets need a bucket name and both keys; local ones need none. */
export function validateBucket(input: BucketInput, existing: Existing | null): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const merged = {
    provider: input.provider ?? existing?.provider ?? null,
    bucketName: input.bucketName !== undefined ? input.bucketName : (existing?.bucketName ?? null),
    accessKeyId: input.accessKeyId !== undefined ? input.accessKeyId : (existing?.accessKeyId ?? null),
    hasSecret: input.secretAccessKey !== undefined ? Boolean(input.secretAccessKey) : Boolean(existing?.secretAccessKey),
  };
  if (existing === null || input.name !== undefined) {
    if (!input.name?.trim()) issues.push({ path: 'name', message: 'is required' });
  }
  if (input.provider === null && existing !== null) {
    issues.push({ path: 'provider', message: 'cannot be cleared' });
  } else if (!merged.provider || !(BUCKET_PROVIDERS as readonly string[]).includes(merged.provider)) {
    issues.push({ path: 'provider', message: `must be one of ${BUCKET_PROVIDERS.join(', ')}` });
  }
  for (const field of TEXT_FIELDS) {
    const value = input[field];
    if (value == null) continue;
    // as stored: the name trimmed, in characters (code points, as varchar(255) counts them)
    if ([...(field === 'name' ? value.trim() : value)].length > 255) issues.push({ path: field, message: 'must be at most 255 characters' });
    else if (/\p{Cc}/u.test(value)) issues.push({ path: field, message: 'must not contain control characters' });
    else if (!isStorableText(value)) issues.push({ path: field, message: UNSTORABLE_MESSAGE });
  }
  if (input.secretAccessKey != null) {
    if (input.secretAccessKey.length > 1024) issues.push({ path: 'secretAccessKey', message: 'must be at most 1024 characters' });
    else if (!isStorableText(input.secretAccessKey)) issues.push({ path: 'secretAccessKey', message: UNSTORABLE_MESSAGE });
  }
  const prefix = input.pathPrefix?.trim().replace(/^\/+|\/+$/g, '');
  if (prefix && keyProblem(prefix)) {
    issues.push({ path: 'pathPrefix', message: 'must be a plain relative path (no "..", ".", backslashes or %)' });
  }
  if (input.accessType != null && !(ACCESS_TYPES as readonly string[]).includes(input.accessType)) {
    issues.push({ path: 'accessType', message: `must be one of ${ACCESS_TYPES.join(', ')}` });
  }
  if (input.priority != null && (!Number.isInteger(input.priority) || input.priority < 0)) {
    issues.push({ path: 'priority', message: 'must be a whole number ≥ 0' });
  }
  if (input.maxSizeMb != null && (!Number.isSafeInteger(input.maxSizeMb) || input.maxSizeMb <= 0)) {
    issues.push({ path: 'maxSizeMb', message: `must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}` });
  }
  if (input.cdnUrl && !isHttpUrl(input.cdnUrl)) {
    issues.push({ path: 'cdnUrl', message: 'must be an http(s) URL' });
  }
  const connectionGiven = input.provider !== undefined || input.endpoint !== undefined || input.pathPrefix !== undefined;
  if (merged.provider === 'local' && connectionGiven) {
    const endpoint = (input.endpoint !== undefined ? input.endpoint : existing?.endpoint)?.trim();
    const pathPrefix = input.pathPrefix !== undefined ? input.pathPrefix : (existing?.pathPrefix ?? null);
    const problem = endpoint ? localDirectoryProblem(endpoint, pathPrefix) : null;
    if (problem) issues.push({ path: 'endpoint', message: problem });
  }
  if (merged.provider && ['s3', 'b2', 'r2'].includes(merged.provider)) {
    if (!merged.bucketName?.trim()) issues.push({ path: 'bucketName', message: 'is required for S3-compatible buckets' });
    if (!merged.accessKeyId?.trim() || !merged.hasSecret) {
      issues.push({ path: 'accessKeyId', message: 'an access key id and secret access key are required' });
    }
    // the endpoint kept from before counts too: a local bucket turned S3 keeps its directory unless a URL is given
    const endpoint = (input.endpoint !== undefined ? input.endpoint : existing?.endpoint)?.trim();
    if (endpoint && !isHttpUrl(endpoint)) issues.push({ path: 'endpoint', message: 'must be an http(s) URL' });
  }
  return issues;
}

/** Path style for a new S3-compatible bucket that does not say: with an endpoint (MinIO, B2, R2) yes, AWS itself no. */
export function defaultForcePathStyle(endpoint: string | null | undefined): boolean {
  return Boolean(endpoint?.trim());
}

/** The fields that say where a bucket's objects are: changing one while copies exist leaves them unreadable. */
export const CONNECTION_FIELDS = ['provider', 'endpoint', 'region', 'bucketName', 'pathPrefix', 'forcePathStyle'] as const;
export type ConnectionField = (typeof CONNECTION_FIELDS)[number];
type Connection = { [K in ConnectionField]: K extends 'forcePathStyle' ? boolean : K extends 'provider' ? string : string | null };

/** A connection value as the drivers read it: text trimmed (a path prefix also without its edge slashes), blank = none. */
function connectionValue(field: ConnectionField, value: string | boolean | null | undefined) {
  if (typeof value !== 'string') return value ?? null;
  const trimmed = value.trim();
  return (field === 'pathPrefix' ? trimmed.replace(/^\/+|\/+$/g, '') : trimmed) || null;
}

/** The connection fields an update would really change (absent ones, a null `forcePathStyle` and same values do not). */
export function connectionChanges(input: BucketInput, existing: Connection): ConnectionField[] {
  return CONNECTION_FIELDS.filter((field) => {
    const value = input[field];
    if (value === undefined || (field === 'forcePathStyle' && value === null)) return false;
    return connectionValue(field, value) !== connectionValue(field, existing[field]);
  });
}
