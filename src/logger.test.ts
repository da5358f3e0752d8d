import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { yogaLogger } from './logger.js';

/** What one yoga log call writes, as parsed JSON lines. */
function written(call: (log: ReturnType<typeof yogaLogger>) => void): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  call(yogaLogger(pino({ level: 'debug', base: undefined }, sink)));
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('yogaLogger', () => {
  test('an error keeps its type, message and stack', () => {
    const [line] = written((log) => log.error(new SyntaxError('Unexpected token')));
    expect(line).toMatchObject({ level: 50, msg: 'Unexpected token', err: { type: 'SyntaxError', message: 'Unexpected token' } });
    expect((line!.err as { stack: string }).stack).toContain('SyntaxError: Unexpected token');
  });

  test('an error after a message is kept under err', () => {
    const [line] = written((log) => log.error('Request failed', new TypeError('boom'), 3));
    expect(line).toMatchObject({ msg: 'Request failed', err: { type: 'TypeError', message: 'boom' }, details: [3] });
  });

  test.each<[string, unknown[], Record<string, unknown>]>([
    ['a message', ['Request aborted'], { level: 20, msg: 'Request aborted' }],
    ['a message with details', ['Parsing failed', { at: 1 }], { level: 20, msg: 'Parsing failed', details: [{ at: 1 }] }],
    ['a value', [{ some: 'thing' }], { level: 20, msg: 'yoga', value: { some: 'thing' } }],
  ])('%s', (_name, args, expected) => {
    expect(written((log) => log.debug(...args))).toEqual([expect.objectContaining(expected)]);
  });
});
