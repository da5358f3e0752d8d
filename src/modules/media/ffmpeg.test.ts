import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PermanentMediaError } from './domain/processing-errors.js';
import { extractFrame } from './ffmpeg.js';
import type { ToolPaths } from './media-tools.js';

// A stand-in ffmpeg that logs each `-ss` it is given and writes the frame only at the times listed in $FRAMES_AT,
// succeeding either way (as ffmpeg does when it seeks past what a cut-short clip still holds).
const FAKE = `#!/bin/sh
at=""; out=""
while [ $# -gt 0 ]; do
  case "$1" in -ss) at="$2"; shift ;; esac
  out="$1"; shift
done
echo "$at" >> "$CALLS"
case " $FRAMES_AT " in *" $at "*) printf 'frame' > "$out" ;; esac
exit 0
`;

describe('extractFrame', () => {
  let dir: string;
  let tools: ToolPaths;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pk-frame-'));
    const ffmpeg = join(dir, 'ffmpeg');
    await writeFile(ffmpeg, FAKE);
    await chmod(ffmpeg, 0o755);
    tools = { ffmpeg, ffprobe: ffmpeg, pdftoppm: ffmpeg, pdfinfo: ffmpeg };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test.each([
    ['a frame at the time asked', 1, '1.000', ['1.000'], 'frame'],
    ['none there: the first frame', 1, '0.000', ['1.000', '0.000'], 'frame'],
    ['asked for the start: one try', 0, '0.000', ['0.000'], 'frame'],
    ['no frame anywhere', 1, '', ['1.000', '0.000'], 'no frame of the video could be decoded (at 1.000 s or at the start)'],
  ])('%s', async (_case, seconds, framesAt, calls, outcome) => {
    const run = join(dir, `${String(_case).replace(/\W+/g, '-')}`);
    const out = `${run}.png`;
    process.env.CALLS = `${run}.calls`;
    process.env.FRAMES_AT = framesAt;
    try {
      const result = await extractFrame(tools, '/in.mp4', seconds, out, 5000).then(
        () => readFile(out, 'utf8'),
        (error: unknown) => (error instanceof PermanentMediaError ? error.message : `unexpected: ${String(error)}`),
      );
      expect(result).toBe(outcome);
      expect((await readFile(`${run}.calls`, 'utf8')).trim().split('\n')).toEqual(calls);
    } finally {
      delete process.env.CALLS;
      delete process.env.FRAMES_AT;
    }
  });
});
