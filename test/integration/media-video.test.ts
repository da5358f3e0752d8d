import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends, type Backend } from '../helpers/backends.js';
import {
  bucketObjects,
  imageFacts,
  openMediaHarness,
  snapshot,
  storedBytes,
  uploadMedia,
  variantSummary,
  videoFacts,
  waitForProcessed,
  type MediaHarness,
} from '../fixtures/media/harness.js';
import { cutShortMp4, mp4Video } from '../fixtures/media/make.js';

const run = promisify(execFile);

/** A voice memo as browsers' MediaRecorder writes it: one second of Opus in a WebM container, no video track. */
async function opusWebm(): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'pk-voice-'));
  try {
    const out = join(dir, 'voice.weba');
    const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1'];
    await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...tone, '-c:a', 'libopus', '-f', 'webm', out]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.each(backends)('video variants on %s', (_name, open) => {
  let backend: Backend;
  let h: MediaHarness;
  beforeAll(async () => {
    backend = await open();
    h = await openMediaHarness(backend);
  });
  afterAll(() => backend.close());

  test('a real 642×362 clip: H.264/AAC renditions inside their box, never upscaled, even sizes; a JPEG thumbnail; metadata', async () => {
    const uploaded = await uploadMedia(h, 'clip.mp4', await mp4Video(642, 362, 2));
    expect(uploaded).toMatchObject({ status: 'processing', fileType: 'video', mimeType: 'video/mp4' });
    const done = await waitForProcessed(h, uploaded.uuid, 120_000);
    expect(done).toMatchObject({ status: 'active', width: 642, height: 362, duration: 2 });
    const video = (done.metadata as { video: Record<string, unknown> }).video;
    expect(video).toMatchObject({ width: 642, height: 362, video_codec: 'h264', audio_codec: 'aac', frame_rate: 25, rotation: 0 });
    expect(video.duration).toBeCloseTo(2, 1);

    const file = await snapshot(h, uploaded.uuid);
    expect(variantSummary(file)).toEqual([
      '1080p mp4 642x362 completed',
      '360p mp4 638x360 completed',
      '720p mp4 642x362 completed',
      'video_thumbnail jpg 638x360 completed',
    ]);
    const originalBuckets = file.instances.find((i) => i.variantName === 'original')!.locations.map((l) => l.bucketUuid);
    for (const variant of file.instances.filter((i) => i.variantName !== 'original')) {
      const bytes = await storedBytes(h, variant);
      expect(variant.locations.map((l) => l.bucketUuid)).toEqual(originalBuckets);
      if (variant.ext === 'mp4') {
        expect(variant.mimeType).toBe('video/mp4');
        expect(await videoFacts(bytes), variant.variantName).toEqual({ video: 'h264', audio: 'aac', width: variant.width, height: variant.height });
      } else {
        expect(variant.mimeType).toBe('image/jpeg');
        expect(await imageFacts(bytes)).toMatchObject({ format: 'jpeg', width: 638, height: 360 });
      }
    }

    // processed again: the encodes are bit-exact, so no row, timestamp or stored object changes
    const objects = await bucketObjects(h);
    await h.services.media.processFile(uploaded.uuid, { final: true });
    expect(await snapshot(h, uploaded.uuid)).toEqual(file);
    expect(await bucketObjects(h)).toEqual(objects);
  });

  test('a clip cut short, its frame at 1 s lost: the thumbnail is its first frame', async () => {
    const { uuid } = await uploadMedia(h, 'cut-short.mp4', await cutShortMp4());
    const done = await waitForProcessed(h, uuid, 120_000);
    expect(done).toMatchObject({ status: 'active', width: 320, height: 240 });
    const file = await snapshot(h, uuid);
    const thumbnail = file.instances.find((i) => i.variantName === 'video_thumbnail')!;
    expect((done.metadata as { variant_errors?: unknown }).variant_errors ?? {}).not.toHaveProperty('video_thumbnail');
    expect(thumbnail).toMatchObject({ processingStatus: 'completed', ext: 'jpg', width: 320, height: 240 });
    expect(await imageFacts(await storedBytes(h, thumbnail))).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
  });

  test('a video smaller than every preset keeps its size in each rendition', async () => {
    const { uuid } = await uploadMedia(h, 'tiny.mp4', await mp4Video(160, 90, 1));
    await waitForProcessed(h, uuid, 120_000);
    expect(variantSummary(await snapshot(h, uuid))).toEqual([
      '1080p mp4 160x90 completed',
      '360p mp4 160x90 completed',
      '720p mp4 160x90 completed',
      'video_thumbnail jpg 160x90 completed',
    ]);
  });

  test('an audio-only WebM (a voice memo) ends active without variants, as audio does, with its duration', async () => {
    const uploaded = await uploadMedia(h, 'voice-memo.weba', await opusWebm());
    // WebM says nothing of its tracks up front: it is stored as a video, and processing finds there is no picture
    expect(uploaded).toMatchObject({ status: 'processing', fileType: 'video', mimeType: 'video/webm' });
    const done = await waitForProcessed(h, uploaded.uuid, 120_000);
    expect(done).toMatchObject({ status: 'active', width: null, height: null, duration: 1 });
    expect(done.metadata).toEqual({ audio: { duration: expect.closeTo(1, 1), audio_codec: 'opus', bit_rate: expect.any(Number) } });
    expect(variantSummary(await snapshot(h, uploaded.uuid))).toEqual([]);
  });
});

/**
 * Defaults: one ffmpeg run may take `toolTimeoutMs` = 3600 s, the whole job expires after `jobExpireSeconds` = 3600 s,
 * and a video job makes several renditions in turn. Scaled down here (ffmpeg made 3 s slower, the job expiring after
 * 2 s): pg-boss gives up waiting for the handler and retries the job while the first run goes on.
 */
describe.each(backends)('a file-processing job that outlives its expiry on %s', (_name, open) => {
  let backend: Backend;
  let h: MediaHarness;
  let dir: string;
  let log: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pk-slow-ffmpeg-'));
    log = join(dir, 'runs.log');
    const wrapper = join(dir, 'ffmpeg');
    await writeFile(
      wrapper,
      `#!/bin/sh\necho "start $(date +%s.%N)" >> '${log}'\nsleep 3\nffmpeg "$@"\nrc=$?\necho "end $(date +%s.%N)" >> '${log}'\nexit $rc\n`,
    );
    await chmod(wrapper, 0o755);
    backend = await open();
    h = await openMediaHarness(backend, {
      media: { tools: { ffmpeg: wrapper }, jobExpireSeconds: 2, retryDelaySeconds: 1, retryLimit: 1 },
    });
  });
  afterAll(async () => {
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the retry leaves the file to the run still going: never two ffmpeg runs for one file at once, nor a second pass', async () => {
    const { uuid } = await uploadMedia(h, 'long.mp4', await mp4Video(320, 240, 1));
    expect((await waitForProcessed(h, uuid, 90_000)).status).toBe('active');
    const startsWhenDone = (await readFile(log, 'utf8')).split('\n').filter((l) => l.startsWith('start')).length;
    // the retry started long ago (1 s after the expiry): anything it ran, or queued, would show by now
    await new Promise((r) => setTimeout(r, 6_000));
    // nothing was asked meanwhile, so nothing processes the file again
    expect((await readFile(log, 'utf8')).split('\n').filter((l) => l.startsWith('start')).length).toBe(startsWhenDone);
    const events = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .map(([kind, at]) => ({ kind, at: Number(at) }))
      .sort((a, b) => a.at - b.at);
    let running = 0;
    let most = 0;
    for (const { kind } of events) {
      running += kind === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(most).toBe(1);
    expect(variantSummary(await snapshot(h, uuid)).every((v) => v.endsWith(' completed'))).toBe(true);
  });
});

/** Clips made to cost little to store and much to encode, and files deleted while they are processed. */
describe.each(backends)('bounded video work on %s', (_name, open) => {
  let backend: Backend;
  let h: MediaHarness;
  let dir: string;
  let log: string;
  let gate: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pk-gated-ffmpeg-'));
    log = join(dir, 'runs.log');
    gate = join(dir, 'go');
    // ffmpeg that notes each run, then waits for the test to open the gate
    const wrapper = join(dir, 'ffmpeg');
    await writeFile(wrapper, `#!/bin/sh\necho start >> '${log}'\nwhile [ ! -e '${gate}' ]; do sleep 0.05; done\nexec ffmpeg "$@"\n`);
    await chmod(wrapper, 0o755);
    backend = await open();
    h = await openMediaHarness(backend, { media: { tools: { ffmpeg: wrapper } }, worker: false });
  });
  afterAll(async () => {
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });
  const runs = async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => l === 'start').length;

  test('three frames a minute apart are encoded as three frames, not a frame every 1/25 s of the gap', async () => {
    await writeFile(gate, '');
    try {
      const clip = join(dir, 'gap.mp4');
      const frames = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=0.12'];
      const gap = ['-vf', "setpts='if(lt(N,2),N/(25*TB),60/TB)'", '-fps_mode', 'passthrough'];
      await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...frames, ...gap, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
      const { uuid } = await uploadMedia(h, 'gap.mp4', await readFile(clip));
      await h.services.media.processFile(uuid, { final: true });
      const file = await snapshot(h, uuid);
      expect(file).toMatchObject({ status: 'active', duration: 60 });
      const renditions = file.instances.filter((i) => i.ext === 'mp4' && i.variantName !== 'original');
      expect(renditions.length).toBeGreaterThan(0);
      for (const variant of renditions) {
        const probe = join(dir, 'probe.mp4');
        await writeFile(probe, await storedBytes(h, variant));
        const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', probe]);
        expect(Number(stdout.trim()), variant.variantName).toBeLessThanOrEqual(3);
      }
    } finally {
      await rm(gate, { force: true });
    }
  });

  test('a file deleted while a rendition is encoded: the run stops after it, no further ffmpeg run, nothing left', async () => {
    const { uuid } = await uploadMedia(h, 'deleted.mp4', await mp4Video(320, 240, 1));
    const before = await runs();
    const processing = h.services.media.processFile(uuid, { final: true });
    for (let i = 0; i < 400 && (await runs()) === before; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await runs()).toBe(before + 1); // the first rendition's ffmpeg waits at the gate
    await h.services.files.remove(null, uuid);
    await writeFile(gate, '');
    try {
      await processing;
      expect(await runs()).toBe(before + 1); // 3 more renditions and a thumbnail were planned
      expect(await h.db.file.count({ where: { uuid } })).toBe(0);
      expect(await h.db.fileInstance.count({ where: { fileUuid: uuid } })).toBe(0);
    } finally {
      await rm(gate, { force: true });
    }
  });
});
