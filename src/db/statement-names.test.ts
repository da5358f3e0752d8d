import { describe, expect, test } from 'vitest';
import { statementNames } from './statement-names.js';

describe('statementNames', () => {
  test.each([
    { case: 'a statement with parameters is named', text: 'SELECT $1', params: 1, named: true },
    { case: 'one without parameters runs unnamed (it may hold several statements)', text: 'SELECT 1; SELECT 2', params: 0, named: false },
  ])('$case', ({ text, params, named }) => {
    const name = statementNames()(text, params);
    expect(name === '' ? false : /^pk_[0-9a-f]{24}$/.test(name)).toBe(named);
  });

  test('the same text keeps its name; another text gets another', () => {
    const names = statementNames();
    const first = names('SELECT $1::int', 1);
    expect(names('SELECT $1::int', 1)).toBe(first);
    expect(names('SELECT $1::text', 1)).not.toBe(first);
  });

  test('past the limit new texts run unnamed, the named ones keep their names', () => {
    const names = statementNames(2);
    const a = names('SELECT $1 AS a', 1);
    const b = names('SELECT $1 AS b', 1);
    expect([a, b].every((n) => n.startsWith('pk_'))).toBe(true);
    expect(names('SELECT $1 AS c', 1)).toBe('');
    expect(names('SELECT $1 AS a', 1)).toBe(a);
  });
});
