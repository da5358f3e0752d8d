import { describe, expect, test } from 'vitest';
import { queueDiffers } from './job-queue.js';

describe('queueDiffers', () => {
  const wanted = { name: 'q', policy: 'short', retryLimit: 3, retryDelay: 10, retryBackoff: true, expireInSeconds: 3600 };
  test.each<[string, Record<string, unknown>, boolean]>([
    ['the same options', { ...wanted, createdOn: new Date() }, false],
    ['another policy', { ...wanted, policy: 'standard' }, true],
    ['no expiry stored (pg-boss default)', { ...wanted, expireInSeconds: null }, true],
    ['fewer retries', { ...wanted, retryLimit: 0 }, true],
  ])('%s', (_name, current, differs) => {
    expect(queueDiffers(current, wanted)).toBe(differs);
  });

  test('an option left unset is not compared', () => {
    expect(queueDiffers({ name: 'q', expireInSeconds: 900 }, { name: 'q', expireInSeconds: undefined })).toBe(false);
  });
});
