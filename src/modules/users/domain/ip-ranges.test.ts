import { describe, expect, test } from 'vitest';
import { buildRangeIndex, findRange, ipToBigInt, type GeoRange } from './ip-ranges.js';

const range = (start: string, end: string, country: string): GeoRange => ({
  start: ipToBigInt(start)!,
  end: ipToBigInt(end)!,
  country,
  region: null,
  city: null,
});

describe('ipToBigInt', () => {
  test.each([
    ['0.0.0.1', 0xffff_0000_0001n],
    ['1.2.3.4', 0xffff_0102_0304n],
    ['::ffff:1.2.3.4', 0xffff_0102_0304n],
    ['::1', 1n],
    ['2001:db8::1', 0x2001_0db8_0000_0000_0000_0000_0000_0001n],
    ['not an ip', null],
    ['1.2.3', null],
    ['', null],
  ])('%s', (ip, expected) => expect(ipToBigInt(ip)).toBe(expected));
});

describe('findRange', () => {
  const index = buildRangeIndex([
    range('10.0.0.0', '10.0.0.255', 'EE'),
    range('1.0.0.0', '1.0.0.255', 'AU'),
    range('2001:db8::', '2001:db8::ffff', 'DE'),
  ]);
  test.each([
    ['1.0.0.0', 'AU'],
    ['1.0.0.255', 'AU'],
    ['10.0.0.7', 'EE'],
    ['::ffff:10.0.0.7', 'EE'],
    ['2001:db8::abc', 'DE'],
    ['1.0.1.0', null],
    ['9.255.255.255', null],
    ['unknown', null],
  ])('%s → %s', (ip, country) => expect(findRange(index, ip)?.country ?? null).toBe(country));

  test('overlapping ranges are refused', () => {
    expect(() => buildRangeIndex([range('1.0.0.0', '1.0.0.9', 'AU'), range('1.0.0.5', '1.0.0.20', 'NZ')])).toThrow(/overlapping/);
  });
});
