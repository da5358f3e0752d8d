import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { clientInfo } from './context.js';

const request = (headers: Record<string, string>) => new Request('http://localhost/graphql', { headers });
const socket = (remoteAddress: string) => ({ socket: { remoteAddress } }) as unknown as IncomingMessage;

describe('clientInfo', () => {
  test.each([
    ['socket address', {}, socket('10.1.2.3'), false, '10.1.2.3'],
    ['IPv4-mapped socket address', {}, socket('::ffff:10.1.2.3'), false, '10.1.2.3'],
    ['X-Forwarded-For ignored when the proxy is not trusted', { 'x-forwarded-for': '203.0.113.5' }, socket('10.1.2.3'), false, '10.1.2.3'],
    ['first X-Forwarded-For entry behind a trusted proxy', { 'x-forwarded-for': '203.0.113.5, 10.0.0.1' }, socket('10.1.2.3'), true, '203.0.113.5'],
    ['trusted proxy without the header', {}, socket('10.1.2.3'), true, '10.1.2.3'],
    ['no socket (in-process call)', {}, undefined, false, null],
  ])('%s', (_name, headers, req, trustProxy, ip) => {
    expect(clientInfo(request(headers), req, trustProxy).ip).toBe(ip);
  });

  test('user agent', () => {
    expect(clientInfo(request({ 'user-agent': 'UA/1' }), undefined, false).userAgent).toBe('UA/1');
    expect(clientInfo(request({}), undefined, false).userAgent).toBeNull();
  });
});
