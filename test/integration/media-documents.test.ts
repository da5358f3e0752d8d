import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends, type Backend } from '../helpers/backends.js';
import {
  bucketObjects,
  colourAt,
  imageFacts,
  openMediaHarness,
  snapshot,
  storedBytes,
  uploadMedia,
  variantSummary,
  waitForProcessed,
  type MediaHarness,
} from '../fixtures/media/harness.js';
import { croppedPdf, mp3Audio, twoPagePdf, zipArchive } from '../fixtures/media/make.js';

describe.each(backends)('documents, audio and archives on %s', (_name, open) => {
  let backend: Backend;
  let h: MediaHarness;
  beforeAll(async () => {
    backend = await open();
    h = await openMediaHarness(backend);
  });
  afterAll(() => backend.close());

  const jobsFor = (uuid: string) =>
    backend.database.sql.query<{ state: string }>(`SELECT state::text AS state FROM public_jobs.job WHERE singleton_key = $1`, [uuid]);

  test('a PDF: page count and info from pdfinfo, image variants from the first page', async () => {
    const uploaded = await uploadMedia(h, 'report.pdf', twoPagePdf());
    expect(uploaded).toMatchObject({ status: 'processing', fileType: 'document', mimeType: 'application/pdf' });
    const done = await waitForProcessed(h, uploaded.uuid);
    expect(done).toMatchObject({ status: 'active', width: null, height: null });
    expect(done.metadata).toEqual({
      page_count: 2,
      pdf: { title: 'Media test', author: 'PhoenixKit tests', page_width_pts: 144, page_height_pts: 72 },
    });
    const file = await snapshot(h, uploaded.uuid);
    // 144×72 pt at 150 dpi is 300×150 px; width-fitted, never enlarged
    expect(variantSummary(file)).toEqual([
      'large jpg 300x150 completed',
      'medium jpg 300x150 completed',
      'small jpg 300x150 completed',
      'thumbnail jpg 150x75 completed',
    ]);
    for (const variant of file.instances.filter((i) => i.variantName !== 'original')) {
      expect(await imageFacts(await storedBytes(h, variant))).toMatchObject({ format: 'jpeg', width: variant.width, height: variant.height });
    }
    // the page: a blue square on the left half, white on the right
    const thumb = await storedBytes(h, file.instances.find((i) => i.variantName === 'thumbnail')!);
    const [r, g, b] = await colourAt(thumb, { left: 10, top: 10, width: 50, height: 55 });
    expect(r! < 60 && g! < 60 && b! > 200).toBe(true);
    expect((await colourAt(thumb, { left: 90, top: 10, width: 50, height: 55 })).every((c) => c > 230)).toBe(true);

    const objects = await bucketObjects(h);
    await h.services.media.processFile(uploaded.uuid, { final: true });
    expect(await snapshot(h, uploaded.uuid)).toEqual(file);
    expect(await bucketObjects(h)).toEqual(objects);
  });

  test('a PDF whose MediaBox is far larger than its CropBox: variants show the visible page, at its shape', async () => {
    const uploaded = await uploadMedia(h, 'bleed.pdf', croppedPdf());
    const done = await waitForProcessed(h, uploaded.uuid);
    expect(done).toMatchObject({ status: 'active', metadata: { pdf: { page_width_pts: 612, page_height_pts: 792 } } });
    const file = await snapshot(h, uploaded.uuid);
    const variants = file.instances.filter((i) => i.variantName !== 'original');
    expect(variants.length).toBeGreaterThan(0);
    for (const variant of variants) {
      expect(variant.processingStatus, variant.variantName).toBe('completed');
      const facts = await imageFacts(await storedBytes(h, variant));
      // the page rendered is 1275×1650 (letter at 150 dpi): no variant is wider, and each keeps its shape
      expect(facts.width!, variant.variantName).toBeLessThanOrEqual(1275);
      expect(facts.height! / facts.width!, variant.variantName).toBeCloseTo(792 / 612, 1);
    }
  });

  test.each([
    ['an MP3', 'tone.mp3', () => mp3Audio(), 'audio'],
    ['a zip', 'bundle.zip', async () => zipArchive(), 'archive'],
    ['a text file', 'notes.txt', async () => Buffer.from('plain words\n'), 'document'],
    ['unknown bytes', 'blob.bin', async () => Buffer.from([0, 1, 2, 3, 250, 251, 252]), 'other'],
  ])('%s is active at once, with no variants and no job', async (_label, name, make, fileType) => {
    const uploaded = await uploadMedia(h, name, await make());
    expect(uploaded).toMatchObject({ status: 'active', fileType });
    const file = await snapshot(h, uploaded.uuid);
    expect(file.instances.map((i) => i.variantName)).toEqual(['original']);
    expect(file.metadata).toBeNull();
    expect(await jobsFor(uploaded.uuid)).toEqual([]);
    // processing it anyway (a stray job) changes nothing
    await h.services.media.processFile(uploaded.uuid, { final: true });
    expect(await snapshot(h, uploaded.uuid)).toEqual(file);
  });
});
