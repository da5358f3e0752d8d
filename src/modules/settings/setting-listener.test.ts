import { describe, expect, test } from 'vitest';
import { notificationPayload, parseNotification, settingsChannel } from './setting-listener.js';

describe('setting change notifications', () => {
  test.each([
    ['origin-1', 'project_title'],
    ['origin-2', 'auto_granted_perm:media'],
    ['origin-3', 'odd|key'],
  ])('payload from %s for %s round-trips', (origin, key) => {
    expect(parseNotification(notificationPayload(origin, key))).toEqual({ origin, key });
  });

  test('a bare payload (hand-written NOTIFY) is a key with no origin', () => {
    expect(parseNotification('project_title')).toEqual({ origin: null, key: 'project_title' });
  });

  test('one channel per prefix', () => {
    expect(settingsChannel('public')).toBe('phoenix_kit_settings_public');
    expect(settingsChannel('tenant_a')).not.toBe(settingsChannel('tenant_b'));
  });
});
