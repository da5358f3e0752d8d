import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';

// The real process (src/main.ts on the embedded database): a keep-alive connection busy when SIGTERM arrives must be
// answered with `Connection: close`, so its client sends nothing more there and the process need not wait for it.
let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

test('SIGTERM during a keep-alive request: its answer closes the connection and the process exits promptly', async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: process.cwd(),
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && k !== 'VITEST' && !k.startsWith('VITEST_'))),
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'pk-shutdown-')),
      SECRET_KEY_BASE: 'test-secret-key-base-that-is-long-enough-0123456789',
      SHUTDOWN_TIMEOUT_MS: '20000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"port":(\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child!.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child!.on('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${out}`)));
  });
  const exited = new Promise<number>((resolve) => child!.on('exit', () => resolve(Date.now())));

  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ query: '{ __typename }' });
  // a request in flight: headers and half the body sent, the rest after SIGTERM
  const answered = new Promise<{ res: IncomingMessage; text: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/graphql', method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ res, text }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 5));
    setTimeout(() => {
      child!.kill('SIGTERM');
      setTimeout(() => req.end(body.slice(5)), 300);
    }, 300);
  });
  const { res, text } = await answered;
  const answeredAt = Date.now();
  expect(res.statusCode).toBe(200);
  expect(text).toContain('Query');
  expect(res.headers.connection).toBe('close');
  const exitAt = await exited;
  agent.destroy();
  // not Node's keep-alive timeout (5 s) nor SHUTDOWN_TIMEOUT_MS (20 s here)
  expect(exitAt - answeredAt).toBeLessThan(2_000);
});
