import { describe, expect, test } from 'vitest';
import { LocalDriver } from './local-driver.js';
import { S3Driver } from './s3-driver.js';
import { BucketConfigError } from './storage-errors.js';
import { bucketPrefix, createBucketDriver, localBucketRoot, type BucketConnection } from './storage-registry.js';

const row = (o: Partial<BucketConnection> = {}): BucketConnection => ({
  uuid: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  provider: 'local',
  endpoint: null,
  region: null,
  bucketName: null,
  accessKeyId: null,
  secretAccessKey: null,
  pathPrefix: null,
  ...o,
});
const options = { dataDir: '/srv/data' };

describe('localBucketRoot', () => {
  test.each([
    [null, '/srv/data/priv/media'],
    ['', '/srv/data/priv/media'],
    ['priv/media', '/srv/data/priv/media'],
    ['uploads/../media', '/srv/data/media'],
    ['/mnt/disk1/media', '/mnt/disk1/media'],
  ])('%j → %s', (endpoint, expected) => {
    expect(localBucketRoot(endpoint, '/srv/data')).toBe(expected);
  });
});

describe('bucketPrefix', () => {
  test.each([
    [null, null],
    ['', null],
    ['/', null],
    ['tenant-a', 'tenant-a'],
    ['/tenant-a/media/', 'tenant-a/media'],
  ])('%j → %j', (raw, expected) => {
    expect(bucketPrefix(raw)).toBe(expected);
  });
  test.each([['../x'], ['a/../b'], ['a\\b'], ['a//b'], ['%2e%2e']])('refuses %j', (raw) => {
    expect(() => bucketPrefix(raw)).toThrow(BucketConfigError);
  });
});

describe('createBucketDriver', () => {
  test('local bucket', () => {
    const driver = createBucketDriver(row({ endpoint: 'media' }), options);
    expect(driver).toBeInstanceOf(LocalDriver);
    expect((driver as LocalDriver).root).toBe('/srv/data/media');
  });
  test.each([['s3'], ['b2'], ['r2'], ['tigris']])('%s bucket', async (provider) => {
    const driver = createBucketDriver(
      row({ provider, endpoint: 'https://example.com', bucketName: 'media', accessKeyId: 'id', secretAccessKey: 'secret' }),
      options,
    );
    expect(driver).toBeInstanceOf(S3Driver);
    expect(driver.provider).toBe(provider);
    await driver.close();
  });
  test.each<[string, Partial<BucketConnection>]>([
    ['unknown provider', { provider: 'ftp' }],
    ['s3 without bucket name', { provider: 's3', accessKeyId: 'a', secretAccessKey: 's' }],
    ['s3 without secret', { provider: 's3', bucketName: 'b', accessKeyId: 'a' }],
    ['bad prefix', { pathPrefix: '../escape' }],
    ['bad endpoint', { provider: 'r2', endpoint: 'ftp://x', bucketName: 'b', accessKeyId: 'a', secretAccessKey: 's' }],
  ])('%s → BucketConfigError', (_name, o) => {
    expect(() => createBucketDriver(row(o), options)).toThrow(BucketConfigError);
  });
});
