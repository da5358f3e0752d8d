import { describe, expect, test } from 'vitest';
import { isUuid, UUID_SOURCE } from './uuid.js';

describe('isUuid', () => {
  test.each([
    ['01a20da3-fe6d-7620-816f-51e3360a7b18', true],
    ['01A20DA3-FE6D-7620-816F-51E3360A7B18', true],
    ['------------------------------------', false],
    ['01a20da3fe6d7620816f51e3360a7b18', false],
    ['01a20da3-fe6d-7620-816f-51e3360a7b18 ', false],
    ['x1a20da3-fe6d-7620-816f-51e3360a7b18', false],
    [42, false],
    [null, false],
  ])('%j → %s', (value, expected) => expect(isUuid(value)).toBe(expected));

  test('the source matches lower case only (URLs carry uuids so)', () => {
    expect(new RegExp(`^${UUID_SOURCE}$`).test('01a20da3-fe6d-7620-816f-51e3360a7b18')).toBe(true);
    expect(new RegExp(`^${UUID_SOURCE}$`).test('01A20DA3-FE6D-7620-816F-51E3360A7B18')).toBe(false);
  });
});
