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
import { mp4Video } from '../fixtures/media/make.js';

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
});
