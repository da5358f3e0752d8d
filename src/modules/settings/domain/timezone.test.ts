import { describe, expect, test } from 'vitest';
import { effectiveTimezone, normalizeTimezone } from './timezone.js';

describe('normalizeTimezone', () => {
  test.each([
    ['Europe/Tallinn', 'Europe/Tallinn'],
    ['europe/tallinn', 'Europe/Tallinn'],
    ['America/Argentina/Buenos_Aires', 'America/Argentina/Buenos_Aires'],
    ['UTC', 'UTC'],
    ['0', 'UTC'],
    ['+0', 'UTC'],
    ['-00:00', 'UTC'],
    ['5.5', '+05:30'],
    ['5.75', '+05:45'],
    ['+05:45', '+05:45'],
    ['-3', '-03:00'],
    ['-3.5', '-03:30'],
    ['-12', '-12:00'],
    ['14', '+14:00'],
    ['+14:00', '+14:00'],
    [' 2 ', '+02:00'],
    ['14.5', null],
    ['-12:30', null],
    ['15', null],
    ['+5:60', null],
    ['Mars/Olympus_Mons', null],
    ['Europe/Tallinn\u0000', null],
    ['Еurope/Tallinn', null], // Cyrillic Е
    ['', null],
    ['   ', null],
    [null, null],
    [undefined, null],
  ])('%j → %j', (value, expected) => {
    expect(normalizeTimezone(value)).toBe(expected);
  });
});

describe('effectiveTimezone: user → site setting → UTC', () => {
  test.each([
    ['user zone wins', 'Asia/Tokyo', '5.5', 'Asia/Tokyo'],
    ['user offset wins', '-03:30', '5.5', '-03:30'],
    ['no user zone: the setting', null, '5.5', '+05:30'],
    ['empty user zone: the setting', '', '-8', '-08:00'],
    ['invalid user zone: the setting', 'Nowhere/Land', 'Europe/Berlin', 'Europe/Berlin'],
    ['setting "0" (the default): UTC', null, '0', 'UTC'],
    ['invalid setting: UTC', null, 'banana', 'UTC'],
    ['nothing at all: UTC', null, null, 'UTC'],
    ['out-of-range user offset: the setting', '+15:00', '1', '+01:00'],
  ])('%s', (_name, user, site, expected) => {
    expect(effectiveTimezone(user, site)).toBe(expected);
  });
});
