import { describe, expect, test } from 'vitest';
import { PermanentMediaError, ToolMissingError } from './domain/processing-errors.js';
import { runTool, type ToolPaths } from './media-tools.js';

const tools = (ffmpeg: string): ToolPaths => ({ ffmpeg, ffprobe: ffmpeg, pdftoppm: ffmpeg, pdfinfo: ffmpeg });

describe('runTool', () => {
  test('a missing binary is a ToolMissingError that says how to install it', async () => {
    const error = await runTool(tools('/nonexistent/bin/ffmpeg'), 'ffmpeg', ['-version'], { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolMissingError);
    expect((error as Error).message).toBe(
      'ffmpeg is not installed: install it (Debian/Ubuntu: apt-get install ffmpeg) and regenerate the variants (no executable "/nonexistent/bin/ffmpeg")',
    );
  });

  test('stdout is returned; arguments reach the tool as they are (no shell)', async () => {
    const out = await runTool(tools('/bin/echo'), 'ffmpeg', ['a b', '$(nope)', ';'], { timeoutMs: 5000 });
    expect(out.toString()).toBe('a b $(nope) ;\n');
  });

  test('a failing run is permanent and carries the last words of stderr', async () => {
    const error = await runTool(tools('/bin/sh'), 'pdfinfo', ['-c', 'echo first >&2; echo "broken input" >&2; exit 3'], {
      timeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentMediaError);
    expect((error as Error).message).toBe('pdfinfo failed (exit 3): first broken input');
  });

  test('a run over its time is killed', async () => {
    const started = Date.now();
    const error = await runTool(tools('/bin/sleep'), 'ffmpeg', ['5'], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('ffmpeg took longer than 0.2 s and was stopped');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('too much output is refused', async () => {
    const error = await runTool(tools('/bin/sh'), 'ffprobe', ['-c', 'head -c 100000 /dev/zero'], { timeoutMs: 5000, maxStdout: 1000 }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe('ffprobe wrote more output than expected');
  });
});
