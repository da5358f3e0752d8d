import { describe, expect, test } from 'vitest';
import { validateBucket, type BucketInput } from './validate-bucket.js';

const s3: BucketInput = { name: 'Archive', provider: 's3', bucketName: 'archive', accessKeyId: 'AK', secretAccessKey: 'SK' };
const existingS3 = { provider: 's3', bucketName: 'archive', accessKeyId: 'AK', secretAccessKey: 'v1:…' };

describe('validateBucket', () => {
  test.each<[string, BucketInput, typeof existingS3 | null, string[]]>([
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
    ['update keeps stored keys', { priority: 3 }, existingS3, []],
    ['update clearing the secret', { secretAccessKey: null }, existingS3, ['accessKeyId']],
    ['update to an empty name', { name: ' ' }, existingS3, ['name']],
  ])('%s', (_name, input, existing, paths) => {
    expect(validateBucket(input, existing).map((i) => i.path)).toEqual(paths);
  });
});
