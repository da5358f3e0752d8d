import { describe, expect, test } from 'vitest';
import { unsafeMapPath } from './multipart-map.js';

const OPERATIONS = JSON.stringify({
  query: 'mutation ($file: Upload!, $files: [Upload!]!) { a }',
  variables: { file: null, files: [null, null], input: { file: null } },
});

describe('unsafeMapPath', () => {
  test.each<[string, string | undefined, Record<string, unknown>, string | null]>([
    ['a variable', OPERATIONS, { 0: ['variables.file'] }, null],
    ['an input field', OPERATIONS, { 0: ['variables.input.file'] }, null],
    ['list items', OPERATIONS, { 0: ['variables.files.0'], 1: ['variables.files.1'] }, null],
    ['a new key of an own object', OPERATIONS, { 0: ['variables.other'] }, null],
    ['one file in two places', OPERATIONS, { 0: ['variables.file', 'variables.input.file'] }, null],
    ['batched operations', JSON.stringify([{ variables: { file: null } }]), { 0: ['0.variables.file'] }, null],
    ['an inherited method', OPERATIONS, { 0: ['variables.toString.call'] }, 'variables.toString.call'],
    ['hasOwnProperty', OPERATIONS, { 0: ['variables.file', 'variables.hasOwnProperty.call'] }, 'variables.hasOwnProperty.call'],
    ['an array method', OPERATIONS, { 0: ['variables.files.map.call'] }, 'variables.files.map.call'],
    ['a string\'s method', JSON.stringify({ variables: { s: 'x' } }), { 0: ['variables.s.at.call'] }, 'variables.s.at.call'],
    ['through a string', JSON.stringify({ variables: { s: 'x' } }), { 0: ['variables.s.length'] }, 'variables.s.length'],
    ['__proto__ as the last segment', OPERATIONS, { 0: ['variables.__proto__'] }, 'variables.__proto__'],
    ['__proto__ on the way', OPERATIONS, { 0: ['variables.__proto__.polluted'] }, 'variables.__proto__.polluted'],
    ['constructor.prototype', OPERATIONS, { 0: ['constructor.prototype.polluted'] }, 'constructor.prototype.polluted'],
    ['a missing segment', OPERATIONS, { 0: ['variables.nothing.file'] }, 'variables.nothing.file'],
    ['an empty segment', OPERATIONS, { 0: ['variables..file'] }, 'variables..file'],
    ['no operations before the map', undefined, { 0: ['variables.file'] }, 'variables.file'],
    [
      'through a slot an earlier path filled',
      JSON.stringify({ variables: { a: { toString: {} } } }),
      { 0: ['variables.a', 'variables.a.toString.call'] },
      'variables.a.toString.call',
    ],
    ['through a slot another file filled', OPERATIONS, { 0: ['variables.input'], 1: ['variables.input.promise.then.call'] }, 'variables.input.promise.then.call'],
    ['the same slot twice', OPERATIONS, { 0: ['variables.file'], 1: ['variables.file'] }, null],
    ['an array\'s length', OPERATIONS, { 0: ['variables.files.length'] }, 'variables.files.length'],
  ])('%s', (_name, operations, map, unsafe) => {
    expect(unsafeMapPath(operations, JSON.stringify(map))).toBe(unsafe);
  });

  test('JSON the library refuses itself is left to it', () => {
    expect(unsafeMapPath('{', JSON.stringify({ 0: ['variables.toString.call'] }))).toBeNull();
    expect(unsafeMapPath(OPERATIONS, '{')).toBeNull();
    expect(unsafeMapPath(OPERATIONS, JSON.stringify({ 0: 'variables.file' }))).toBeNull();
  });
});
