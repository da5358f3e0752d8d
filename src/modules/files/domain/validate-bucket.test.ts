import { describe, expect, test } from 'vitest';
import { connectionChanges, defaultForcePathStyle, validateBucket, type BucketInput } from './validate-bucket.js';

const s3: BucketInput = { name: 'Archive', provider: 's3', bucketName: 'archive', accessKeyId: 'AK', secretAccessKey: 'SK' };
const existingS3 = { provider: 's3', bucketName: 'archive', accessKeyId: 'AK', secretAccessKey: 'v1:…' };
const localExisting = { provider: 'local', endpoint: 'buckets/disk', bucketName: null, accessKeyId: null, secretAccessKey: null };

describe('validateBucket', () => {
  test.each<[string, BucketInput, Parameters<typeof validateBucket>[1], string[]]>([
    ['local needs no credentials', { name: 'Disk', provider: 'local', endpoint: '/srv/media' }, null, []],
    ['s3 with keys', s3, null, []],
    ['r2 with endpoint', { ...s3, provider: 'r2', endpoint: 'https://acc.r2.cloudflarestorage.com' }, null, []],
    ['missing name and provider', {}, null, ['name', 'provider']],
    ['unknown provider', { name: 'x', provider: 'ftp' }, null, ['provider']],
    ['s3 without bucket name', { ...s3, bucketName: null }, null, ['bucketName']],
    ['s3 without secret', { ...s3, secretAccessKey: null }, null, ['accessKeyId']],
    ['bad endpoint URL', { ...s3, endpoint: 'not a url' }, null, ['endpoint']],
    ['negative priority', { name: 'x', provider: 'local', priority: -1 }, null, ['priority']],
    ['zero size limit', { name: 'x', provider: 'local', maxSizeMb: 0 }, null, ['maxSizeMb']],
    ['bad access type', { name: 'x', provider: 'local', accessType: 'world' }, null, ['accessType']],
    ['oversize name', { name: 'x'.repeat(256), provider: 'local' }, null, ['name']],
    ['control character', { name: 'a\u0000b', provider: 'local' }, null, ['name']],
    ['255 emoji (510 UTF-16 units) in the name', { name: '\u{1f4e6}'.repeat(255), provider: 'local' }, null, []],
    ['256 emoji in the name', { name: '\u{1f4e6}'.repeat(256), provider: 'local' }, null, ['name']],
    ['a name of 255 characters between spaces', { name: ` ${'x'.repeat(255)} `, provider: 'local' }, null, []],
    ['an unpaired surrogate in the name', { name: 'Archive \ud800 bucket', provider: 'local' }, null, ['name']],
    ['an unpaired surrogate in the region', { ...s3, region: 'eu\udc00' }, null, ['region']],
    ['an unpaired surrogate in the secret key', { ...s3, secretAccessKey: 'secret\ud800' }, null, ['secretAccessKey']],
    ['a paired surrogate (emoji) in the name', { name: 'Photos \u{1f4f7}', provider: 'local' }, null, []],
    ['update keeps stored keys', { priority: 3 }, existingS3, []],
    ['update clearing the secret', { secretAccessKey: null }, existingS3, ['accessKeyId']],
    ['update to an empty name', { name: ' ' }, existingS3, ['name']],
    ['endpoint with a bad host', { ...s3, endpoint: 'http://%%%' }, null, ['endpoint']],
    ['endpoint with a port out of range', { ...s3, endpoint: 'http://minio:99999' }, null, ['endpoint']],
    ['endpoint of another scheme', { ...s3, endpoint: 'ftp://minio:9000' }, null, ['endpoint']],
    ['endpoint with a port', { ...s3, endpoint: 'http://127.0.0.1:9000' }, null, []],
    ['CDN URL with a bad host', { name: 'x', provider: 'local', cdnUrl: 'https://%zz' }, null, ['cdnUrl']],
    ['CDN URL with a port out of range', { name: 'x', provider: 'local', cdnUrl: 'http://cdn:99999' }, null, ['cdnUrl']],
    ['CDN URL with a path', { name: 'x', provider: 'local', cdnUrl: 'https://cdn.example.com/media/' }, null, []],
    ['update clearing the provider', { provider: null }, existingS3, ['provider']],
    ['a local bucket turned S3 keeps its directory as endpoint', { ...s3, name: undefined }, localExisting, ['endpoint']],
    ['a local bucket turned S3 with a URL', { ...s3, name: undefined, endpoint: 'https://s3.example.com' }, localExisting, []],
    ['a local bucket turned AWS S3 (no endpoint)', { ...s3, name: undefined, endpoint: null }, localExisting, []],
    ['endpoint with credentials', { ...s3, endpoint: 'http://user:pw@127.0.0.1:9000' }, null, ['endpoint']],
    ['endpoint with a user name', { ...s3, endpoint: 'https://key@s3.example.com' }, null, ['endpoint']],
    ['CDN URL with credentials', { name: 'x', provider: 'local', cdnUrl: 'https://u:p@cdn.example.com' }, null, ['cdnUrl']],
    ['local: the filesystem root', { name: 'x', provider: 'local', endpoint: '/' }, null, ['endpoint']],
    ['local: the root spelled otherwise', { name: 'x', provider: 'local', endpoint: '/srv/..//' }, null, ['endpoint']],
    ['local: the root with a path prefix', { name: 'x', provider: 'local', endpoint: '/', pathPrefix: 'srv/media' }, null, []],
    ['local: a relative directory climbing out', { name: 'x', provider: 'local', endpoint: '../../escape' }, null, ['endpoint']],
    ['local: climbing out in the middle', { name: 'x', provider: 'local', endpoint: 'a/../../b' }, null, ['endpoint']],
    ['local: a relative directory that stays', { name: 'x', provider: 'local', endpoint: 'a/../b' }, null, []],
    ['local: a name of dots', { name: 'x', provider: 'local', endpoint: '...' }, null, []],
    ['local: the root once its prefix is cleared', { pathPrefix: '' }, { ...localExisting, endpoint: '/', pathPrefix: 'srv' }, ['endpoint']],
    ['local: an update not touching the directory', { enabled: false }, { ...localExisting, endpoint: '/' }, []],
  ])('%s', (_name, input, existing, paths) => {
    expect(validateBucket(input, existing).map((i) => i.path)).toEqual(paths);
  });
});

describe('defaultForcePathStyle', () => {
  test.each([
    [null, false],
    [undefined, false],
    ['  ', false],
    ['http://127.0.0.1:9000', true],
    ['https://acc.r2.cloudflarestorage.com', true],
  ])('%j → %s', (endpoint, expected) => {
    expect(defaultForcePathStyle(endpoint)).toBe(expected);
  });
});

describe('connectionChanges', () => {
  const stored = {
    provider: 's3',
    endpoint: 'http://127.0.0.1:9000',
    region: null,
    bucketName: 'archive',
    pathPrefix: 'tenant-a',
    forcePathStyle: true,
  };
  test.each<[string, BucketInput, string[]]>([
    ['nothing given', {}, []],
    [
      'only fields that do not move objects',
      { name: 'New', enabled: false, priority: 2, maxSizeMb: 5, accessType: 'signed', cdnUrl: 'https://cdn.test' },
      [],
    ],
    ['rotated credentials', { accessKeyId: 'AK2', secretAccessKey: 'SK2' }, []],
    ['the same values again', { ...stored, bucketName: ' archive ', pathPrefix: '/tenant-a/', region: '' }, []],
    ['a null path style (keep)', { forcePathStyle: null }, []],
    ['another provider', { provider: 'r2' }, ['provider']],
    ['another endpoint', { endpoint: 'https://s3.example.com' }, ['endpoint']],
    ['endpoint cleared', { endpoint: null }, ['endpoint']],
    ['a region', { region: 'eu-central-1' }, ['region']],
    ['another bucket name', { bucketName: 'other' }, ['bucketName']],
    ['another path prefix', { pathPrefix: 'tenant-b' }, ['pathPrefix']],
    ['path prefix cleared', { pathPrefix: '' }, ['pathPrefix']],
    ['virtual-hosted addressing', { forcePathStyle: false }, ['forcePathStyle']],
    ['several at once', { name: 'x', provider: 'b2', bucketName: 'b' }, ['provider', 'bucketName']],
  ])('%s', (_name, input, expected) => {
    expect(connectionChanges(input, stored)).toEqual(expected);
  });
});
