import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LocalDriver } from './local-driver.js';
import { S3Driver } from './s3-driver.js';
import { BucketConfigError } from './storage-errors.js';
import { normalizeKey } from './storage-key.js';
import {
  bucketPrefix,
  createBucketDriver,
  createStorageRegistry,
  localBucketRoot,
  overlappingStorage,
  storageLocation,
  storagePlaces,
  type BucketConnection,
} from './storage-registry.js';

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

describe('storageLocation and overlappingStorage', () => {
  test.each<[string, Partial<BucketConnection>, string]>([
    ['local default directory', {}, 'local:/data/priv/media'],
    ['local relative directory and prefix', { endpoint: 'buckets/a', pathPrefix: '/site-1/' }, 'local:/data/buckets/a/site-1'],
    ['local absolute directory', { endpoint: '/srv/media/' }, 'local:/srv/media'],
    ['the filesystem root and a prefix', { endpoint: '/', pathPrefix: 'srv/media' }, 'local:/srv/media'],
    ['S3 endpoint, case and trailing slash ignored', { provider: 's3', endpoint: 'HTTP://Minio:9000/', bucketName: 'b' }, 's3:minio:9000/b'],
    ['S3 endpoint without a scheme', { provider: 's3', endpoint: 'minio:9000', bucketName: 'b' }, 's3:minio:9000/b'],
    ['AWS, whatever the region', { provider: 's3', region: 'eu-west-1', bucketName: 'media', pathPrefix: 'x/y' }, 's3:aws/media/x/y'],
    ['AWS named by its endpoint', { provider: 's3', endpoint: 'https://s3.us-east-1.amazonaws.com', bucketName: 'media' }, 's3:aws/media'],
  ])('%s', (_label, o, expected) => {
    expect(storageLocation(row(o), '/data')).toBe(expected);
  });

  test.each<[string, Record<string, string>, string[]]>([
    ['distinct places', { a: 'local:/d/a', b: 'local:/d/b', c: 's3:e/b' }, []],
    ['the same place', { a: 'local:/d/a', b: 'local:/d/a', c: 'local:/d/c' }, ['a', 'b']],
    ['one inside the other', { a: 's3:e/b', b: 's3:e/b/tenant', c: 's3:e/bb' }, ['a', 'b']],
    ['a name that only starts alike', { a: 'local:/d/a', b: 'local:/d/ab' }, []],
  ])('%s', (_label, places, expected) => {
    expect([...overlappingStorage(new Map(Object.entries(places)))].sort()).toEqual(expected);
  });

  test('a directory reached through a symbolic link is the same place as its target, existing or to be made', () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'pk-places-')));
    try {
      mkdirSync(join(dir, 'real'));
      symlinkSync(join(dir, 'real'), join(dir, 'link'));
      symlinkSync('ahead', join(dir, 'link-ahead'));
      symlinkSync('loop-b', join(dir, 'loop-a'));
      symlinkSync('loop-a', join(dir, 'loop-b'));
      expect(storageLocation(row({ endpoint: join(dir, 'loop-a') }), '/data')).toMatch(/^local:/);
      const places = storagePlaces(
        [
          row({ uuid: 'real', endpoint: join(dir, 'real') }),
          row({ uuid: 'link', endpoint: join(dir, 'link') }),
          row({ uuid: 'inside', endpoint: join(dir, 'link', 'not-yet', 'made') }),
          row({ uuid: 'beside', endpoint: join(dir, 'other') }),
          // a link to a directory still to be made
          row({ uuid: 'ahead', endpoint: join(dir, 'ahead') }),
          row({ uuid: 'to-ahead', endpoint: join(dir, 'link-ahead') }),
        ],
        '/data',
      );
      expect(places.get('inside')).toBe(`local:${join(dir, 'real', 'not-yet', 'made')}`);
      expect([...overlappingStorage(places)].sort()).toEqual(['ahead', 'inside', 'link', 'real', 'to-ahead']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
  test.each<[string, Partial<BucketConnection>]>([
    ['local at the filesystem root', { endpoint: '/' }],
    ['local at the filesystem root, spelled otherwise', { endpoint: '/srv/../', pathPrefix: '/' }],
  ])('%s → BucketConfigError, and no place', (_name, o) => {
    expect(() => createBucketDriver(row(o), options)).toThrow(BucketConfigError);
    expect(() => storageLocation(row(o), '/data')).toThrow(BucketConfigError);
  });
  test('local at the filesystem root with a path prefix is that directory', () => {
    const driver = createBucketDriver(row({ endpoint: '/', pathPrefix: 'srv/media' }), options) as LocalDriver;
    expect(driver.pathFor(normalizeKey('blobs/x'))).toBe('/srv/media/blobs/x');
  });
});

describe('S3 addressing from the row (force_path_style)', () => {
  const s3Row = (o: Partial<BucketConnection>) =>
    row({ provider: 's3', bucketName: 'media', accessKeyId: 'id', secretAccessKey: 'secret', region: 'us-east-1', ...o });
  /** Where the driver's requests go: a presigned URL is built by the client alone, with no request. */
  async function addressed(bucket: BucketConnection): Promise<string> {
    const driver = createBucketDriver(bucket, options);
    try {
      const url = new URL(await driver.signedUrl!(normalizeKey('a/b.txt'), { expiresInSeconds: 60, fileName: 'b.txt', disposition: 'inline' }));
      return `${url.origin}${url.pathname}`;
    } finally {
      await driver.close();
    }
  }

  test.each<[string, Partial<BucketConnection>, string]>([
    ['path style with an endpoint', { endpoint: 'https://s3.example.com', forcePathStyle: true }, 'https://s3.example.com/media/a/b.txt'],
    ['virtual-hosted with an endpoint', { endpoint: 'https://s3.example.com', forcePathStyle: false }, 'https://media.s3.example.com/a/b.txt'],
    ['path style on AWS', { forcePathStyle: true }, 'https://s3.us-east-1.amazonaws.com/media/a/b.txt'],
    ['virtual-hosted on AWS', { forcePathStyle: false }, 'https://media.s3.us-east-1.amazonaws.com/a/b.txt'],
    ['unset, with an endpoint: path style', { endpoint: 'https://s3.example.com' }, 'https://s3.example.com/media/a/b.txt'],
    ['unset, AWS: virtual-hosted', {}, 'https://media.s3.us-east-1.amazonaws.com/a/b.txt'],
  ])('%s', async (_name, o, expected) => {
    expect(await addressed(s3Row(o))).toBe(expected);
  });

  test('the registry opens a new driver when the flag changes', async () => {
    const registry = createStorageRegistry(options);
    const bucket = s3Row({ endpoint: 'https://s3.example.com', forcePathStyle: true });
    const first = registry.driverFor(bucket);
    expect(registry.driverFor({ ...bucket })).toBe(first);
    const second = registry.driverFor({ ...bucket, forcePathStyle: false });
    expect(second).not.toBe(first);
    expect(await (second as S3Driver).client.config.forcePathStyle).toBe(false);
    await registry.close();
    await first.close();
  });
});
