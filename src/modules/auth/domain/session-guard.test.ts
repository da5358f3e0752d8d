import { describe, expect, test } from 'vitest';
import { sessionRefusal } from './session-guard.js';

describe('sessionRefusal', () => {
  test.each([
    ['unchanged and active', { hashedPassword: 'h1', isActive: true }, 'h1', null],
    ['password changed since the check', { hashedPassword: 'h2', isActive: true }, 'h1', 'credentials_changed'],
    ['password changed and deactivated', { hashedPassword: 'h2', isActive: false }, 'h1', 'credentials_changed'],
    ['deactivated since the check', { hashedPassword: 'h1', isActive: false }, 'h1', 'disabled'],
    ['account gone', null, 'h1', 'credentials_changed'],
    ['no password, none checked', { hashedPassword: null, isActive: true }, null, null],
  ] as const)('%s', (_name, now, checked, expected) => {
    expect(sessionRefusal(now, checked)).toBe(expected);
  });
});
