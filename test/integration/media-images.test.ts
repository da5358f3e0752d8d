import pg from 'pg';
import { afterAll, beforeAll, describe, expect, onTestFinished, test, vi } from 'vitest';
import { graphql } from '../gql/index.js';
import { signUp } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';
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
  watchEvents,
  type MediaHarness,
} from '../fixtures/media/harness.js';
import { animatedGif, animatedPng, halves, jpegWithExifRotation, pngWithAlpha, tiff16 } from '../fixtures/media/make.js';

const CreateDimensionDocument = graphql(`
  mutation MediaImagesCreateDimension($input: CreateStorageDimensionInput!) {
    createStorageDimension(input: $input) {
      __typename
      ... on MutationCreateStorageDimensionSuccess { data { uuid name } }
      ... on Error { message code }
    }
  }
`);
const DeleteDimensionDocument = graphql(`
  mutation MediaImagesDeleteDimension($input: DeleteStorageDimensionInput!) {
    deleteStorageDimension(input: $input) { __typename ... on Error { code } }
  }
`);
const RegenerateDocument = graphql(`
  mutation MediaImagesRegenerate($input: RegenerateVariantsInput!) {
    regenerateVariants(input: $input) {
      __typename
      ... on MutationRegenerateVariantsSuccess { data { queued } }
      ... on Error { message code }
    }
  }
`);
const FileDocument = graphql(`
  query MediaImagesFile($uuid: UUID!) {
    file(uuid: $uuid) { status width height instances { variantName processingStatus width height failureReason } }
  }
`);

const red = (rgb: number[]) => rgb[0]! > 200 && rgb[1]! < 60 && rgb[2]! < 60;
const blue = (rgb: number[]) => rgb[0]! < 60 && rgb[1]! < 60 && rgb[2]! > 200;

describe.each(backends)('image variants on %s', (_name, open) => {
  let backend: Backend;
  let h: MediaHarness;
  beforeAll(async () => {
    backend = await open();
    h = await openMediaHarness(backend);
  });
  afterAll(() => backend.close());

  /** Every completed variant: bytes as recorded, decoded size as planned, on the original's buckets. */
  async function checkStoredVariants(uuid: string) {
    const file = await snapshot(h, uuid);
    const original = file.instances.find((i) => i.variantName === 'original')!;
    const originalBuckets = original.locations.map((l) => l.bucketUuid).sort();
    for (const variant of file.instances.filter((i) => i.variantName !== 'original')) {
      const bytes = await storedBytes(h, variant);
      const facts = await imageFacts(bytes);
      const format = variant.ext === 'jpg' ? 'jpeg' : variant.ext;
      expect(facts, variant.variantName).toMatchObject({ format, width: variant.width, height: variant.height, pages: 1 });
      expect(facts.orientation ?? 1, 'variants are stored upright, without an orientation tag').toBe(1);
      expect(variant.locations.map((l) => l.bucketUuid).sort()).toEqual(originalBuckets);
      expect(variant.locations.every((l) => l.status === 'active')).toBe(true);
    }
    return file;
  }

  /** Processing the file again changes no row (not even a timestamp) and no stored object. */
  async function expectSameWhenProcessedAgain(uuid: string) {
    const before = await snapshot(h, uuid);
    const objects = await bucketObjects(h);
    await h.services.media.processFile(uuid, { final: true });
    expect(await snapshot(h, uuid)).toEqual(before);
    expect(await bucketObjects(h)).toEqual(objects);
  }

  test('JPEG with EXIF rotation: upright variants fitted to the width, EXIF essentials without GPS', async () => {
    const uploaded = await uploadMedia(h, 'photo.jpg', await jpegWithExifRotation());
    expect(uploaded.status).toBe('processing');
    const done = await waitForProcessed(h, uploaded.uuid);
    expect(done).toMatchObject({ status: 'active', width: 800, height: 1200 });
    expect(done.metadata).toEqual({
      image: { format: 'jpeg', has_alpha: false, transparent: false, bit_depth: 8, pages: 1 },
      exif: { camera_make: 'Canon', camera_model: 'EOS 5D Mark IV', taken_at: '2023-04-05T06:07:08', orientation: 6 },
    });
    const file = await checkStoredVariants(uploaded.uuid);
    expect(variantSummary(file)).toEqual([
      'large jpg 800x1200 completed',
      'medium jpg 800x1200 completed',
      'small jpg 300x450 completed',
      'thumbnail jpg 150x225 completed',
    ]);
    // stored left half red, orientation 6 (turn 90° clockwise): displayed red on top, blue below
    const thumb = await storedBytes(h, file.instances.find((i) => i.variantName === 'thumbnail')!);
    expect(red(await colourAt(thumb, { left: 20, top: 10, width: 110, height: 80 }))).toBe(true);
    expect(blue(await colourAt(thumb, { left: 20, top: 135, width: 110, height: 80 }))).toBe(true);
    await expectSameWhenProcessedAgain(uploaded.uuid);
  });

  test('GPS is kept in the metadata only while storage_keep_gps_metadata is "true"', async () => {
    const other = await signUp(h.app);
    const { uuid } = await uploadMedia(h, 'trip.jpg', await jpegWithExifRotation(), other);
    await waitForProcessed(h, uuid);
    expect((await snapshot(h, uuid)).metadata).not.toHaveProperty('exif.gps');
    await h.services.settings.update({ key: 'storage_keep_gps_metadata', value: 'true' });
    await h.services.media.processFile(uuid, { final: true });
    expect((await snapshot(h, uuid)).metadata).toMatchObject({ exif: { gps: { latitude: 51.5, longitude: -0.125 } } });
    await h.services.settings.update({ key: 'storage_keep_gps_metadata', value: 'false' });
    await h.services.media.processFile(uuid, { final: true });
    expect((await snapshot(h, uuid)).metadata).not.toHaveProperty('exif.gps');
  });

  test('PNG with alpha: the JPEG presets become WebP with the transparency kept', async () => {
    const { uuid } = await uploadMedia(h, 'overlay.png', await pngWithAlpha());
    const done = await waitForProcessed(h, uuid);
    expect(done).toMatchObject({ status: 'active', width: 640, height: 480, metadata: { image: { format: 'png', has_alpha: true, transparent: true } } });
    const file = await checkStoredVariants(uuid);
    expect(variantSummary(file)).toEqual([
      'large webp 640x480 completed',
      'medium webp 640x480 completed',
      'small webp 300x225 completed',
      'thumbnail webp 150x113 completed',
    ]);
    for (const v of file.instances.filter((i) => i.variantName !== 'original')) {
      expect(v.mimeType).toBe('image/webp');
      expect((await imageFacts(await storedBytes(h, v))).hasAlpha).toBe(true);
    }
    await expectSameWhenProcessedAgain(uuid);
  });

  test('16-bit TIFF: read at 16 bits, variants in JPEG', async () => {
    const { uuid } = await uploadMedia(h, 'scan.tif', tiff16(300, 200));
    const done = await waitForProcessed(h, uuid);
    expect(done).toMatchObject({ status: 'active', width: 300, height: 200, metadata: { image: { format: 'tiff', bit_depth: 16 } } });
    const file = await checkStoredVariants(uuid);
    expect(variantSummary(file)).toEqual([
      'large jpg 300x200 completed',
      'medium jpg 300x200 completed',
      'small jpg 300x200 completed',
      'thumbnail jpg 150x100 completed',
    ]);
    await expectSameWhenProcessedAgain(uuid);
  });

  test('animated PNG (image/apng): processed as a PNG, variants from its default image', async () => {
    const uploaded = await uploadMedia(h, 'loop.png', await animatedPng(400, 200));
    expect(uploaded).toMatchObject({ status: 'processing', mimeType: 'image/apng' });
    const done = await waitForProcessed(h, uploaded.uuid);
    expect(done).toMatchObject({ status: 'active', width: 400, height: 200, metadata: { image: { format: 'png' } } });
    const file = await checkStoredVariants(uploaded.uuid);
    expect(variantSummary(file).map((v) => v.replace(/ \S+ \d+x\d+/, ''))).toEqual([
      'large completed',
      'medium completed',
      'small completed',
      'thumbnail completed',
    ]);
  });

  test('animated GIF: frame count recorded, variants from the first frame', async () => {
    const { uuid } = await uploadMedia(h, 'loop.gif', await animatedGif(400, 200));
    const done = await waitForProcessed(h, uuid);
    expect(done).toMatchObject({ status: 'active', width: 400, height: 200, metadata: { image: { format: 'gif', pages: 3, transparent: false } } });
    const file = await checkStoredVariants(uuid);
    expect(variantSummary(file)).toEqual([
      'large jpg 400x200 completed',
      'medium jpg 400x200 completed',
      'small jpg 300x150 completed',
      'thumbnail jpg 150x75 completed',
    ]);
    const thumb = await storedBytes(h, file.instances.find((i) => i.variantName === 'thumbnail')!);
    expect(red(await colourAt(thumb, { left: 10, top: 10, width: 130, height: 55 }))).toBe(true);
    await expectSameWhenProcessedAgain(uuid);
  });

  test('a preset change, then regenerateVariants: crops around the focal point, alternative formats, removed presets', async () => {
    const created = await execute(
      h.app,
      CreateDimensionDocument,
      { input: { name: 'square', appliesTo: 'image', width: 100, height: 100, maintainAspectRatio: false, format: 'png', alternativeFormats: ['webp'], order: 20 } },
      h.owner.headers,
    );
    expect(created.data?.createStorageDimension.__typename).toBe('MutationCreateStorageDimensionSuccess');
    const dimensionUuid = (created.data!.createStorageDimension as { data: { uuid: string } }).data.uuid;
    // later tests expect the default presets, whatever happens here
    onTestFinished(() => h.db.storageDimension.deleteMany({ where: { name: 'square' } }).then(() => undefined));

    // uploaded after the change: a centre crop, red on the left, blue on the right
    const { uuid } = await uploadMedia(h, 'halves.png', await halves(400, 200));
    await waitForProcessed(h, uuid);
    let file = await checkStoredVariants(uuid);
    expect(variantSummary(file)).toEqual([
      'large jpg 400x200 completed',
      'medium jpg 400x200 completed',
      'small jpg 300x150 completed',
      'square png 100x100 completed',
      'square_webp webp 100x100 completed',
      'thumbnail jpg 150x75 completed',
    ]);
    const square = () => file.instances.find((i) => i.variantName === 'square')!;
    let bytes = await storedBytes(h, square());
    expect(red(await colourAt(bytes, { left: 5, top: 5, width: 40, height: 90 }))).toBe(true);
    expect(blue(await colourAt(bytes, { left: 55, top: 5, width: 40, height: 90 }))).toBe(true);
    const centreKey = square().fileName;

    // focal point at the left edge, then regenerate: the square is all red; the old square's bytes are gone
    await h.db.file.update({ where: { uuid }, data: { metadata: { ...(file.metadata as object), focal_point: { x: 0, y: 0.5 } } } });
    const watch = watchEvents(h, uuid);
    const regenerated = await execute(h.app, RegenerateDocument, { input: { fileUuid: uuid } }, h.owner.headers);
    expect(regenerated.data?.regenerateVariants).toEqual({ __typename: 'MutationRegenerateVariantsSuccess', data: { queued: 1 } });
    await watch.untilFile('active');
    await watch.stop();
    expect(watch.events).toContainEqual({ variant: 'square', status: 'processing', reason: null });
    expect(watch.events).toContainEqual({ variant: 'square', status: 'completed', reason: null });
    expect(watch.events.at(-1)).toEqual({ variant: null, status: 'active', reason: null });
    file = await snapshot(h, uuid);
    expect(file.metadata).toMatchObject({ focal_point: { x: 0, y: 0.5 } });
    bytes = await storedBytes(h, square());
    expect(red(await colourAt(bytes, { left: 5, top: 5, width: 90, height: 90 }))).toBe(true);
    expect(square().fileName).not.toBe(centreKey);
    expect(await bucketObjects(h)).not.toContain(centreKey);

    // the preset removed: regenerating every file drops its variants and their bytes
    const squareKeys = file.instances.filter((i) => i.variantName.startsWith('square')).map((i) => i.fileName);
    const deleted = await execute(h.app, DeleteDimensionDocument, { input: { uuid: dimensionUuid } }, h.owner.headers);
    expect(deleted.data?.deleteStorageDimension.__typename).toBe('MutationDeleteStorageDimensionSuccess');
    const again = watchEvents(h, uuid);
    const all = await execute(h.app, RegenerateDocument, { input: {} }, h.owner.headers);
    expect(all.data?.regenerateVariants).toMatchObject({ data: { queued: expect.any(Number) } });
    await again.untilFile('active');
    await again.stop();
    file = await snapshot(h, uuid);
    expect(variantSummary(file)).toEqual([
      'large jpg 400x200 completed',
      'medium jpg 400x200 completed',
      'small jpg 300x150 completed',
      'thumbnail jpg 150x75 completed',
    ]);
    const objects = await bucketObjects(h);
    for (const key of squareKeys) expect(objects).not.toContain(key);
  });

  test('with storage_auto_generate_variants off an image gets its metadata and no variants', async () => {
    await h.services.settings.update({ key: 'storage_auto_generate_variants', value: 'false' });
    try {
      const { uuid } = await uploadMedia(h, 'plain.png', await halves(64, 32));
      const done = await waitForProcessed(h, uuid);
      expect(done).toMatchObject({ status: 'active', width: 64, height: 32 });
      expect(variantSummary(await snapshot(h, uuid))).toEqual([]);
    } finally {
      await h.services.settings.update({ key: 'storage_auto_generate_variants', value: 'true' });
    }
  });

  test('variants are visible through GraphQL', async () => {
    const { uuid } = await uploadMedia(h, 'small.png', await halves(200, 100));
    await waitForProcessed(h, uuid);
    const result = await execute(h.app, FileDocument, { uuid }, h.owner.headers);
    expect(result.data?.file).toEqual({
      status: 'active',
      width: 200,
      height: 100,
      instances: [
        { variantName: 'large', processingStatus: 'completed', width: 200, height: 100, failureReason: null },
        { variantName: 'medium', processingStatus: 'completed', width: 200, height: 100, failureReason: null },
        { variantName: 'original', processingStatus: 'completed', width: null, height: null, failureReason: null },
        { variantName: 'small', processingStatus: 'completed', width: 200, height: 100, failureReason: null },
        { variantName: 'thumbnail', processingStatus: 'completed', width: 150, height: 75, failureReason: null },
      ],
    });
  });
});

describe.each(backends.filter(([name]) => name === 'postgres'))('a regeneration asked for while another process processes the file, on %s', (_name, open) => {
  let backend: Backend;
  let h: MediaHarness;
  beforeAll(async () => {
    backend = await open();
    h = await openMediaHarness(backend);
  });
  afterAll(() => backend.close());

  test('is carried out once that run ends, with the presets as they are then', async () => {
    const { uuid } = await uploadMedia(h, 'regen.png', await halves(120, 80));
    expect((await waitForProcessed(h, uuid)).status).toBe('active');
    const jobsOf = async (state: string) =>
      (
        await backend.database.sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM public_jobs.job WHERE name = 'file-processing' AND singleton_key = $1 AND state = $2::public_jobs.job_state`,
          [uuid, state],
        )
      )[0]!.n;
    const completedBefore = await jobsOf('completed');

    // another worker process holds the file (it read the presets before the change below)
    const other = new pg.Client({ connectionString: backend.database.url });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(('x' || substr(md5($1), 1, 16))::bit(64)::bigint)`, [`phoenix_kit_file_processing:${uuid}`]);
      await h.db.storageDimension.create({ data: { name: 'regen_extra', width: 40, height: 40, format: 'jpg', appliesTo: 'image', order: 99 } });
      expect(await h.services.media.regenerate(uuid)).toBe(1);
      // this process's worker takes the job, finds the file held, and queues it again for later
      await vi.waitFor(async () => expect(await jobsOf('completed')).toBe(completedBefore + 1), { timeout: 20_000, interval: 200 });
      expect(await jobsOf('created')).toBe(1);
    } finally {
      await other.end(); // the other run ends
    }
    await vi.waitFor(
      async () => expect(variantSummary(await snapshot(h, uuid)).some((v) => v.startsWith('regen_extra '))).toBe(true),
      { timeout: 30_000, interval: 300 },
    );
  });
});
