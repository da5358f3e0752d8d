import { describe, expect, test } from 'vitest';
import { mapS3Error, objectSize, parseContentRange, s3Endpoint, s3Region, S3Driver } from './s3-driver.js';
import {
  BucketConfigError,
  StorageObjectNotFoundError,
  StorageRangeNotSatisfiableError,
  StorageUnavailableError,
} from './storage-errors.js';
import { InvalidStorageKeyError, normalizeKey, type StorageKey } from './storage-key.js';

describe('s3Endpoint', () => {
  test.each([
    [null, undefined],
    ['', undefined],
    ['  ', undefined],
    ['https://s3.us-west-004.backblazeb2.com', 'https://s3.us-west-004.backblazeb2.com'],
    ['s3.us-west-004.backblazeb2.com', 'https://s3.us-west-004.backblazeb2.com'],
    ['http://127.0.0.1:9000/', 'http://127.0.0.1:9000'],
    ['https://abc.r2.cloudflarestorage.com', 'https://abc.r2.cloudflarestorage.com'],
  ])('%j → %j', (raw, expected) => {
    expect(s3Endpoint(raw)).toBe(expected);
  });
  test.each([['ftp://example.com'], ['https://']])('refuses %j', (raw) => {
    expect(() => s3Endpoint(raw)).toThrow(BucketConfigError);
  });
});

describe('s3Region', () => {
  test.each<[Parameters<typeof s3Region>[0], string | null, string | undefined, string]>([
    ['s3', 'eu-central-1', undefined, 'eu-central-1'],
    ['s3', null, undefined, 'us-east-1'],
    ['r2', null, 'https://abc.r2.cloudflarestorage.com', 'auto'],
    ['b2', null, 'https://s3.us-west-004.backblazeb2.com', 'us-west-004'],
    ['b2', 'eu-central-003', 'https://s3.us-west-004.backblazeb2.com', 'eu-central-003'],
    ['b2', null, 'https://example.com', 'us-east-1'],
    ['tigris', '', undefined, 'auto'],
  ])('%s %j %j → %s', (provider, region, endpoint, expected) => {
    expect(s3Region(provider, region, endpoint)).toBe(expected);
  });
});

describe('parseContentRange', () => {
  test.each([
    ['bytes 0-0/100', { start: 0, end: 0 }],
    ['bytes 10-99/100', { start: 10, end: 99 }],
    ['bytes 10-99/*', { start: 10, end: 99 }],
    [undefined, null],
    ['items 0-1/2', null],
  ])('%j', (header, expected) => {
    expect(parseContentRange(header)).toEqual(expected);
  });
});

describe('objectSize', () => {
  test.each([
    ['bytes 0-0/100', 100],
    ['bytes 10-99/100', 100],
    [' bytes 0-9/1000 ', 1000],
    ['bytes 10-99/*', undefined],
    [undefined, undefined],
    ['', undefined],
  ])('%j', (header, expected) => {
    expect(objectSize(header)).toBe(expected);
  });
});

const sdkError = (name: string, status?: number, code?: string) =>
  Object.assign(new Error(name), { name, ...(code ? { code } : {}), $metadata: status ? { httpStatusCode: status } : {} });

describe('mapS3Error', () => {
  test.each<[string, unknown, string | undefined, unknown]>([
    ['connection refused', sdkError('Error', undefined, 'ECONNREFUSED'), 'k', StorageUnavailableError],
    ['timeout', sdkError('TimeoutError'), 'k', StorageUnavailableError],
    ['server error', sdkError('InternalError', 500), 'k', StorageUnavailableError],
    ['throttled', sdkError('SlowDown', 503), 'k', StorageUnavailableError],
    ['bad credentials', sdkError('InvalidAccessKeyId', 403), 'k', StorageUnavailableError],
    ['bucket gone', sdkError('NoSuchBucket', 404), 'k', StorageUnavailableError],
    ['missing key (GET)', sdkError('NoSuchKey', 404), 'k', StorageObjectNotFoundError],
    ['missing key (HEAD)', sdkError('NotFound', 404), 'k', StorageObjectNotFoundError],
    ['bad range', sdkError('InvalidRange', 416), 'k', StorageRangeNotSatisfiableError],
  ])('%s', (_name, error, key, expected) => {
    expect(mapS3Error(error, key)).toBeInstanceOf(expected as new (...args: never[]) => unknown);
  });

  test('other client errors pass through unchanged', () => {
    const error = sdkError('InvalidArgument', 400);
    expect(mapS3Error(error, 'k')).toBe(error);
  });
  test('our own errors pass through unchanged', () => {
    const error = new InvalidStorageKeyError('dot-segment');
    expect(mapS3Error(error)).toBe(error);
  });
});

describe('S3Driver construction', () => {
  const base = {
    provider: 's3' as const,
    bucket: 'b',
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'a', secretAccessKey: 's' },
  };
  test('needs a bucket and keys', () => {
    expect(() => new S3Driver({ ...base, bucket: '' })).toThrow(BucketConfigError);
    expect(() => new S3Driver({ ...base, credentials: { accessKeyId: '', secretAccessKey: 's' } })).toThrow(BucketConfigError);
  });
  test('prefix is applied to object keys, and the total stays within 1024 bytes', async () => {
    const driver = new S3Driver({ ...base, prefix: normalizeKey('tenant/x') });
    expect(driver.objectKey(normalizeKey('a/b'))).toBe('tenant/x/a/b');
    const long = normalizeKey(Array.from({ length: 4 }, () => 'y'.repeat(254)).join('/'));
    expect(() => driver.objectKey(long)).toThrow(InvalidStorageKeyError);
    expect(() => driver.objectKey('../x' as StorageKey)).toThrow(InvalidStorageKeyError);
    await driver.close();
  });
  test('presigned URL lifetimes are bounded', async () => {
    const driver = new S3Driver(base);
    for (const expiresInSeconds of [0, -1, 1.5, 8 * 24 * 3600]) {
      await expect(
        driver.signedUrl(normalizeKey('a'), { expiresInSeconds, disposition: 'inline', fileName: 'a' }),
      ).rejects.toBeInstanceOf(RangeError);
    }
    await driver.close();
  });
});
