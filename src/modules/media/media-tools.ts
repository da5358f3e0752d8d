import { spawn } from 'node:child_process';
import { PermanentMediaError, ToolMissingError } from './domain/processing-errors.js';

/** Where the external tools are; plain names are looked up on PATH. */
export type ToolPaths = Readonly<{ ffmpeg: string; ffprobe: string; pdftoppm: string; pdfinfo: string }>;

const INSTALL_HINT: Record<keyof ToolPaths, string> = {
  ffmpeg: 'ffmpeg is not installed: install it (Debian/Ubuntu: apt-get install ffmpeg) and regenerate the variants',
  ffprobe: 'ffmpeg is not installed (ffprobe is part of it): install it (Debian/Ubuntu: apt-get install ffmpeg) and regenerate the variants',
  pdftoppm: 'pdftoppm is not installed: install poppler-utils (Debian/Ubuntu: apt-get install poppler-utils) and regenerate the variants',
  pdfinfo: 'pdfinfo is not installed: install poppler-utils (Debian/Ubuntu: apt-get install poppler-utils)',
};

const STDERR_TAIL = 2000;

/**
 * Runs one tool without a shell (arguments are never parsed), collecting stdout up to `maxStdout` bytes and the tail
 * of stderr. A missing binary is a ToolMissingError; a non-zero exit, a signal or the timeout a PermanentMediaError
 * carrying the tool's last words (the same input fails the same way on a retry).
 */
export function runTool(
  tools: ToolPaths,
  tool: keyof ToolPaths,
  args: readonly string[],
  opts: { timeoutMs: number; maxStdout?: number },
): Promise<Buffer> {
  const path = tools[tool];
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let settled = false;
    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(Buffer.concat(out));
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new PermanentMediaError(`${tool} took longer than ${opts.timeoutMs / 1000} s and was stopped`));
    }, opts.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > (opts.maxStdout ?? 16 * 1024 * 1024)) {
        child.kill('SIGKILL');
        finish(new PermanentMediaError(`${tool} wrote more output than expected`));
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EACCES') finish(new ToolMissingError(tool, path, INSTALL_HINT[tool]));
      else finish(error);
    });
    child.on('close', (code, signal) => {
      if (code === 0) return finish(null);
      const last = err.trim().split('\n').slice(-3).join(' ').trim();
      finish(new PermanentMediaError(`${tool} failed (${signal ?? `exit ${code}`})${last ? `: ${last}` : ''}`));
    });
  });
}
