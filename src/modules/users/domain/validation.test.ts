import { describe, expect, test } from 'vitest';
import { validateEmail, validateName, validatePassword, validateTimezone, validateUsername } from './validation.js';
import { usernameBaseFromEmail, usernameCandidate, usernameStem } from './username.js';

const rules = { minLength: 8, requireUppercase: false, requireLowercase: false, requireDigit: false, requireSpecial: false };

describe('validateEmail', () => {
  test.each([
    ['a@b.co', true],
    ['first.last+tag@example.com', true],
    ['ünï@exämple.com', true],
    ['', false],
    ['no-at-sign', false],
    ['two@@example.com', false],
    ['space in@example.com', false],
    ['tab\t@example.com', false],
    ['nul\u0000@example.com', false],
    ['lone\ud800@example.com', false],
    ['pair\ud83d\ude00@example.com', true],
    ['a@nodot', false],
    ['zero\u200bwidth@example.com', false],
    ['joiner\u200d@example.com', false],
    ['admin@exa\u202emoc.elpm', false],
    ['isolate\u2066@example.com', false],
    ['\ufeffbom@example.com', false],
    ['soft\u00adhyphen@example.com', false],
    ['hangul\u3164filler@example.com', false],
    ['choseong\u115ffiller@example.com', false],
    ['halfwidth\uffa0filler@example.com', false],
    ['grapheme\u034fjoiner@example.com', false],
    ['variation\ufe0fselector@example.com', false],
    ['variation\u{e0100}supplement@example.com', false],
    ['khmer\u17b4vowel@example.com', false],
    [`${'a'.repeat(150)}@example.com`, false],
  ])('%j valid=%s', (email, valid) => expect(validateEmail(email).length === 0).toBe(valid));
});

describe('validateName', () => {
  test.each([
    ['Jöhn', []],
    ['😀 Ann', []],
    ['x'.repeat(101), ['must be at most 100 characters']],
    ['Jo\u0007hn', ['must not contain control characters']],
    ['Jo\udc00hn', ['contains characters that cannot be stored']],
  ])('%j', (name, messages) => expect(validateName(name, 'firstName').map((i) => i.message)).toEqual(messages));
});

describe('validatePassword', () => {
  test.each([
    ['8 chars', 'abcdefgh', rules, []],
    ['7 chars', 'abcdefg', rules, ['must be at least 8 characters']],
    ['72 bytes', 'a'.repeat(72), rules, []],
    ['73 bytes', 'a'.repeat(73), rules, ['must be at most 72 bytes']],
    ['multi-byte over 72 bytes', 'ü'.repeat(37), rules, ['must be at most 72 bytes']],
    ['emoji counted as characters', '🔒🔒🔒🔒🔒🔒🔒🔒', rules, []],
    ['control character', 'abcdefg\u0007', rules, ['must not contain control characters']],
    ['uppercase rule', 'abcdefgh', { ...rules, requireUppercase: true }, ['must contain an upper-case letter']],
    ['digit rule', 'abcdefgH', { ...rules, requireDigit: true }, ['must contain a digit']],
    ['special rule', 'abcdefg1', { ...rules, requireSpecial: true }, ['must contain one of ! ? @ # $ % ^ & * _']],
  ])('%s', (_name, password, r, messages) => {
    expect(validatePassword(password, r).map((i) => i.message)).toEqual(messages);
  });
});

describe('validateUsername', () => {
  test.each([
    ['abc', true],
    ['John_Doe9', true],
    ['ab', false],
    ['a'.repeat(31), false],
    ['9lives', false],
    ['has space', false],
    ['ünï', false],
  ])('%s valid=%s', (name, valid) => expect(validateUsername(name).length === 0).toBe(valid));
});

describe('validateTimezone', () => {
  test.each([
    ['Europe/Tallinn', true],
    ['America/Argentina/Buenos_Aires', true],
    ['UTC', true],
    ['+05:45', true],
    ['-3.5', true],
    ['5.75', true],
    ['0', true],
    ['+14', true],
    ['-12', true],
    ['+15', false],
    ['-13:00', false],
    ['Mars/Olympus', false],
    ['Europe/../etc', false],
    ['', false],
  ])('%s valid=%s', (tz, valid) => expect(validateTimezone(tz).length === 0).toBe(valid));
});

describe('usernameBaseFromEmail', () => {
  test.each([
    ['john.doe@example.com', 'john_doe'],
    ['ülo.kask@example.ee', 'ulo_kask'],
    ['дмитрий@example.ru', 'dmitriy'],
    ['123abc@example.com', 'user_123abc'],
    ['ab@example.com', 'ab_1'],
    ['a+b-c@example.com', 'abc'],
    ['+++@example.com', 'user_'],
    [`${'x'.repeat(40)}@example.com`, 'x'.repeat(30)],
    ['no-at-sign', null],
  ])('%s → %s', (email, base) => expect(usernameBaseFromEmail(email)).toBe(base));

  test('candidates', () => {
    expect([0, 1, 2].map((n) => usernameCandidate('john_doe', n))).toEqual(['john_doe', 'john_doe_1', 'john_doe_2']);
    expect(usernameCandidate('x'.repeat(30), 12)).toBe(`${'x'.repeat(27)}_12`);
  });
});

describe('usernameStem', () => {
  test.each([
    ['john_doe', 'john_doe'],
    ['a'.repeat(30), 'a'.repeat(22)],
    ['abc', 'abc'],
  ])('%s', (base, stem) => {
    expect(usernameStem(base)).toBe(stem);
  });

  test('every candidate of a base, short or cut to fit its suffix, starts with the stem', () => {
    for (const base of ['john_doe', 'a'.repeat(30), `${'b'.repeat(25)}_tail`]) {
      for (const attempt of [0, 1, 9, 10, 99, 12_345, 9_999_999]) {
        expect(usernameCandidate(base, attempt).startsWith(usernameStem(base))).toBe(true);
      }
    }
  });
});
