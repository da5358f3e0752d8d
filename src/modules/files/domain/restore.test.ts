import { describe, expect, test } from 'vitest';
import { restoredStatus } from './restore.js';

describe('restoredStatus', () => {
  test.each<[string, unknown, 'active' | 'failed']>([
    ['no metadata', null, 'active'],
    ['empty metadata', {}, 'active'],
    ['metadata of a processed image', { image: { width: 10 }, variant_errors: { small: 'x' } }, 'active'],
    ['a processing error', { processing_error: 'not a readable image' }, 'failed'],
    ['an empty processing error', { processing_error: '' }, 'failed'],
    ['an array', ['processing_error'], 'active'],
    ['a string', 'processing_error', 'active'],
  ])('%s → %s', (_label, metadata, expected) => expect(restoredStatus(metadata)).toBe(expected));
});
