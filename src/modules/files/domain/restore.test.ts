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
  ])('a file without processing, %s → %s', (_label, metadata, expected) =>
    expect(restoredStatus({ metadata, needsProcessing: false })).toBe(expected),
  );

  test.each<[string, unknown, 'active' | 'failed' | 'processing']>([
    ['no metadata: its job never ran', null, 'processing'],
    ['only what the user set', { focal_point: { x: 0.5, y: 0.5 } }, 'processing'],
    ['re-queued once by the sweeper, never finished', { processing_requeues: 1 }, 'processing'],
    ['a processed image', { image: { format: 'png' } }, 'active'],
    ['a processed video', { video: { width: 320 } }, 'active'],
    ['an audio-only video container', { audio: { duration: 1 } }, 'active'],
    ['a processed PDF', { page_count: 2, pdf: {} }, 'active'],
    ['variants that failed', { variant_errors: { small: 'x' } }, 'active'],
    ['a processing error', { processing_error: 'not a readable image' }, 'failed'],
    ['an array', ['image'], 'processing'],
  ])('a file that needs processing, %s → %s', (_label, metadata, expected) =>
    expect(restoredStatus({ metadata, needsProcessing: true })).toBe(expected),
  );
});
