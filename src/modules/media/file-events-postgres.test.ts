import { describe, expect, test } from 'vitest';
import type { FileProcessingEvent } from './file-events.js';
import { decodeFileEvent, encodeFileEvent, fileEventsChannel } from './file-events-postgres.js';

const U = '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b';
const AT = '2025-01-02T03:04:05.678Z';

describe('file event notifications', () => {
  test.each<FileProcessingEvent>([
    { fileUuid: U, variant: null, status: 'active', reason: null, at: AT },
    { fileUuid: U, variant: 'thumbnail', status: 'processing', reason: null, at: AT },
    { fileUuid: U, variant: 'medium_webp', status: 'failed', reason: 'decoder said "no" | twice', at: AT },
  ])('%o round-trips', (event) => {
    expect(decodeFileEvent(encodeFileEvent(event))).toEqual(event);
  });

  test('reasons are cut so the payload stays far below the 8000-byte NOTIFY limit', () => {
    const encoded = encodeFileEvent({ fileUuid: U, variant: 'x', status: 'failed', reason: 'é'.repeat(5000), at: AT });
    expect(Buffer.byteLength(encoded)).toBeLessThan(2500);
    expect(decodeFileEvent(encoded)?.reason).toBe('é'.repeat(1000));
  });

  test.each([
    ['not json', 'nope'],
    ['an object', JSON.stringify({ fileUuid: U })],
    ['too short', JSON.stringify([U, null, 'active', null])],
    ['an unknown status', JSON.stringify([U, null, 'exploded', null, AT])],
    ['a numeric variant', JSON.stringify([U, 7, 'active', null, AT])],
    ['no uuid', JSON.stringify([null, null, 'active', null, AT])],
    ['an object reason', JSON.stringify([U, null, 'failed', { a: 1 }, AT])],
  ])('%s is refused', (_what, payload) => {
    expect(decodeFileEvent(payload)).toBeNull();
  });

  test('one channel per prefix', () => {
    expect(fileEventsChannel('public')).toBe('phoenix_kit_file_events_public');
    expect(fileEventsChannel('tenant_a')).not.toBe(fileEventsChannel('tenant_b'));
  });
});
