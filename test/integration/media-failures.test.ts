import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createMediaService } from '../../src/modules/media/media-processing.service.js';
import { createMediaQueue } from '../../src/modules/media/media-queue.js';
import { graphql } from '../gql/index.js';
import { silentLog } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';
import {
  openMediaHarness,
  snapshot,
  uploadMedia,
  variantSummary,
  waitForProcessed,
  type MediaHarness,
} from '../fixtures/media/harness.js';
import { animatedGif, halves, mp4Video, pngBomb, tiff16, twoPagePdf } from '../fixtures/media/make.js';
import sharp from 'sharp';

const FileDocument = graphql(`
  query MediaFailuresFile($uuid: UUID!) {
    file(uuid: $uuid) { status instances { variantName processingStatus failureReason } }
  }
`);

const TrashDocument = graphql(`
  mutation MediaFailuresTrash($input: FileRefInput!) {
    trashFile(input: $input) { __typename ... on MutationTrashFileSuccess { data { status } } }
  }
`);

const RestoreDocument = graphql(`
  mutation MediaFailuresRestore($input: FileRefInput!) {
    restoreFile(input: $input) { __typename ... on MutationRestoreFileSuccess { data { status } } }
  }
`);

const MiB = 1024 * 1024;

describe.each(backends)('processing failures on %s', (_name, open) => {
  let backend: Backend;
  let h: MediaHarness;
  beforeAll(async () => {
    backend = await open();
    // the worker starts in the sweeper test, after it has set up its stuck files
    h = await openMediaHarness(backend, { worker: false, media: { retryLimit: 2 } });
  });
  afterAll(() => backend.close());

  const jobsFor = (uuid: string) =>
    backend.database.sql.query<{ state: string; retry_count: number }>(
      `SELECT state::text AS state, retry_count FROM public_jobs.job WHERE singleton_key = $1 ORDER BY created_on`,
      [uuid],
    );
  const backdate = (uuids: string[], metadata: object | null = null) =>
    backend.database.sql.query(
      `UPDATE phoenix_kit_files SET updated_at = now() - interval '2 hours', metadata = COALESCE($2::jsonb, metadata)
        WHERE uuid = ANY($1::uuid[])`,
      [uuids, metadata === null ? null : JSON.stringify(metadata)],
    );

  test('the stale sweeper re-queues a file whose job was lost, fails one that was already re-queued, leaves live jobs alone', async () => {
    const lost = await uploadMedia(h, 'lost.png', await halves(100, 50));
    const again = await uploadMedia(h, 'again.gif', await animatedGif(40, 20));
    const waiting = await uploadMedia(h, 'waiting.tif', tiff16(30, 20));
    const recent = await uploadMedia(h, 'recent.png', await halves(60, 30));
    for (const f of [lost, again, waiting, recent]) expect(f.status).toBe('processing');
    expect(await jobsFor(waiting.uuid)).toEqual([{ state: 'created', retry_count: 0 }]);
    // jobs lost (a crash, a queue wiped): nothing would ever finish these files
    await backend.database.sql.query(`DELETE FROM public_jobs.job WHERE singleton_key = ANY($1)`, [[lost.uuid, again.uuid, recent.uuid]]);
    await backdate([lost.uuid, waiting.uuid]);
    await backdate([again.uuid], { processing_requeues: 1 });

    expect(await h.services.media.sweepStale()).toEqual({ requeued: [lost.uuid], failed: [again.uuid] });
    expect(await jobsFor(lost.uuid)).toEqual([{ state: 'created', retry_count: 0 }]);
    expect((await snapshot(h, lost.uuid)).metadata).toEqual({ processing_requeues: 1 });
    const failed = await snapshot(h, again.uuid);
    expect(failed.status).toBe('failed');
    expect((failed.metadata as { processing_error: string }).processing_error).toMatch(/^processing did not finish/);
    expect((await snapshot(h, recent.uuid)).status).toBe('processing');
    expect(await h.services.media.sweepStale()).toEqual({ requeued: [], failed: [] });

    await h.startWorker();
    for (const f of [lost, waiting]) expect((await waitForProcessed(h, f.uuid)).status).toBe('active');
    expect((await snapshot(h, lost.uuid)).metadata).not.toHaveProperty('processing_requeues');

    // the sweeper is a scheduled job; run by the queue it picks up the file that has gone stale since
    const schedules = await backend.database.sql.query<{ cron: string }>(
      `SELECT cron FROM public_jobs.schedule WHERE name = 'file-processing-sweep'`,
    );
    expect(schedules).toEqual([{ cron: '*/5 * * * *' }]);
    await backdate([recent.uuid]);
    await h.services.jobs.send('file-processing-sweep', {});
    expect((await waitForProcessed(h, recent.uuid)).status).toBe('active');
  });

  test('a job that keeps failing (original unreadable) is retried with backoff, then marks the file failed with the reason', async () => {
    await h.startWorker();
    const { uuid } = await uploadMedia(h, 'doomed.png', await halves(80, 40));
    expect((await waitForProcessed(h, uuid)).status).toBe('active');
    // the only copy now lives on a bucket nobody answers for
    const dead = await h.services.buckets.create({
      name: 'Unreachable',
      provider: 's3',
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      bucketName: 'unreachable',
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
      priority: 9,
    });
    try {
      await h.db.fileLocation.updateMany({
        where: { fileInstance: { fileUuid: uuid, variantName: 'original' } },
        data: { bucketUuid: dead.uuid },
      });
      const startedAt = Date.now();
      expect(await h.services.media.regenerate(uuid)).toBe(1);
      const deadline = Date.now() + 60_000;
      while ((await snapshot(h, uuid)).status !== 'failed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const file = await snapshot(h, uuid);
      expect(file.status).toBe('failed');
      expect((file.metadata as { processing_error: string }).processing_error).toMatch(/^could not read the original: /);
      // three attempts (retryLimit 2), the retries 1 s and 2 s apart at least
      // the job is marked completed just after its handler has failed the file
      await vi.waitFor(async () => expect((await jobsFor(uuid)).at(-1)).toEqual({ state: 'completed', retry_count: 2 }), { timeout: 10_000 });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(3000);
    } finally {
      await h.db.bucket.update({ where: { uuid: dead.uuid }, data: { enabled: false } });
    }
  });

  test('a decompression bomb is refused by its pixel count before decoding, without taking memory', async () => {
    await h.startWorker();
    const bomb = await pngBomb(30_000);
    expect(bomb.length).toBeLessThan(200 * 1024);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    try {
      const { uuid } = await uploadMedia(h, 'bomb.png', bomb);
      const done = await waitForProcessed(h, uuid);
      expect(done.status).toBe('failed');
      expect((done.metadata as { processing_error: string }).processing_error).toBe(
        'image is 30000×30000 = 900000000 pixels, over the limit of 268402689; refused before decoding',
      );
      expect((await snapshot(h, uuid)).instances.map((i) => i.variantName)).toEqual(['original']);
    } finally {
      clearInterval(sampler);
    }
    // decoded, the image alone would take 900 MB
    expect(peak - baseline).toBeLessThan(150 * MiB);
  });

  test('with storage_auto_generate_variants off, an image whose pixels do not read is failed all the same', async () => {
    await h.startWorker();
    await h.services.settings.update({ key: 'storage_auto_generate_variants', value: 'false' });
    try {
      const jpeg = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#654321' } }).jpeg().toBuffer();
      const cut = await uploadMedia(h, 'cut-off.jpg', jpeg.subarray(0, 300));
      const whole = await uploadMedia(h, 'whole-off.jpg', jpeg);
      const [cutDone, wholeDone] = [await waitForProcessed(h, cut.uuid), await waitForProcessed(h, whole.uuid)];
      expect(cutDone.status).toBe('failed');
      expect((cutDone.metadata as { processing_error: string }).processing_error).toMatch(/^not a readable image: .*premature end/i);
      expect(wholeDone).toMatchObject({ status: 'active', width: 200, height: 100 });
      for (const f of [cut, whole]) expect((await snapshot(h, f.uuid)).instances.map((i) => i.variantName)).toEqual(['original']);
    } finally {
      await h.services.settings.update({ key: 'storage_auto_generate_variants', value: 'true' });
    }
  });

  test('an image whose header reads but whose pixels do not is failed, each variant with the decoder\'s reason', async () => {
    await h.startWorker();
    const jpeg = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#123456' } }).jpeg().toBuffer();
    const { uuid } = await uploadMedia(h, 'cut.jpg', jpeg.subarray(0, 300));
    const done = await waitForProcessed(h, uuid);
    expect(done.status).toBe('failed');
    expect((done.metadata as { processing_error: string }).processing_error).toMatch(/^not a readable image: could not render .*premature end/i);
    const result = await execute(h.app, FileDocument, { uuid }, h.owner.headers);
    const variants = result.data!.file!.instances.filter((i) => i.variantName !== 'original');
    expect(variants.map((v) => v.variantName)).toEqual(['large', 'medium', 'small', 'thumbnail']);
    for (const v of variants) {
      expect(v.processingStatus).toBe('failed');
      expect(v.failureReason).toMatch(/premature end/i);
    }
  });
});

describe.each(backends)('the stale sweeper and a job finishing meanwhile on %s', (_name, open) => {
  let backend: Backend;
  let h: MediaHarness;
  beforeAll(async () => {
    backend = await open();
    h = await openMediaHarness(backend, { worker: false });
  });
  afterAll(() => backend.close());

  test('a file whose job finishes it after the sweeper listed it stays active (a backlog draining after an outage)', async () => {
    const { uuid } = await uploadMedia(h, 'late.png', await halves(90, 60));
    // stale and re-queued once already: the sweeper's list has it as one to fail
    await backend.database.sql.query(
      `UPDATE phoenix_kit_files SET updated_at = now() - interval '2 hours', metadata = '{"processing_requeues": 1}'::jsonb WHERE uuid = $1`,
      [uuid],
    );
    const { media } = h.services;
    const queue = createMediaQueue({ database: backend.database, jobs: h.services.jobs, expireInSeconds: 60, retryLimit: 1, retryDelaySeconds: 1 });
    // between the sweeper's list and its look at this file, the waiting job runs and finishes it
    const sweeper = createMediaService({
      db: h.db,
      log: silentLog,
      settings: h.services.settings,
      files: h.services.files,
      variants: undefined as never, // the sweeper makes no variants
      queue: {
        ...queue,
        async hasLiveJob(fileUuid: string) {
          if (fileUuid === uuid) {
            await media.runJob({ fileUuid });
            await backend.database.sql.query(`DELETE FROM public_jobs.job WHERE singleton_key = $1`, [uuid]);
          }
          return queue.hasLiveJob(fileUuid);
        },
      },
      events: h.services.fileEvents,
      options: media.options,
    });
    expect(await sweeper.sweepStale()).toEqual({ requeued: [], failed: [] });
    const file = await snapshot(h, uuid);
    expect(file.status).toBe('active');
    expect(file.metadata).not.toHaveProperty('processing_error');
    expect(variantSummary(file).every((v) => v.endsWith(' completed'))).toBe(true);
  });
});

describe.each(backends)('missing tools on %s', (_name, open) => {
  let backend: Backend;
  let h: MediaHarness;
  beforeAll(async () => {
    backend = await open();
    h = await openMediaHarness(backend, {
      media: { tools: { ffmpeg: '/nonexistent/bin/ffmpeg', ffprobe: '/nonexistent/bin/ffprobe', pdftoppm: '/nonexistent/bin/pdftoppm' } },
    });
  });
  afterAll(() => backend.close());

  test('without ffmpeg a video still becomes active; its variants fail with "ffmpeg is not installed"', async () => {
    const { uuid } = await uploadMedia(h, 'clip.mp4', await mp4Video(320, 180, 1));
    const done = await waitForProcessed(h, uuid);
    expect(done).toMatchObject({ status: 'active', width: null, height: null, duration: null });
    const file = await snapshot(h, uuid);
    expect(variantSummary(file)).toEqual([
      '1080p mp4 -x- failed',
      '360p mp4 -x- failed',
      '720p mp4 -x- failed',
      'video_thumbnail jpg -x- failed',
    ]);
    for (const v of file.instances.filter((i) => i.variantName !== 'original')) {
      expect(v.locations).toEqual([]);
      expect(Number(v.size)).toBe(0);
    }
    const result = await execute(h.app, FileDocument, { uuid }, h.owner.headers);
    for (const v of result.data!.file!.instances.filter((i) => i.variantName !== 'original')) {
      expect(v.failureReason).toMatch(/^ffmpeg is not installed/);
      expect(v.failureReason).toContain('apt-get install ffmpeg');
    }
    // once more: the same failed rows, nothing rewritten
    await h.services.media.processFile(uuid, { final: true });
    expect(await snapshot(h, uuid)).toEqual(file);
  });

  test('without pdftoppm a PDF gets its page count and failed variants; images are unaffected', async () => {
    const pdf = await uploadMedia(h, 'doc.pdf', twoPagePdf());
    const done = await waitForProcessed(h, pdf.uuid);
    expect(done).toMatchObject({ status: 'active', metadata: { page_count: 2 } });
    const file = await snapshot(h, pdf.uuid);
    expect(variantSummary(file)).toEqual([
      'large jpg -x- failed',
      'medium jpg -x- failed',
      'small jpg -x- failed',
      'thumbnail jpg -x- failed',
    ]);
    expect(Object.values((file.metadata as { variant_errors: Record<string, string> }).variant_errors)).toEqual(
      Array(4).fill(expect.stringMatching(/^pdftoppm is not installed: install poppler-utils/)),
    );

    const image = await uploadMedia(h, 'fine.png', await halves(40, 20));
    await waitForProcessed(h, image.uuid);
    expect(variantSummary(await snapshot(h, image.uuid))).toEqual([
      'large jpg 40x20 completed',
      'medium jpg 40x20 completed',
      'small jpg 40x20 completed',
      'thumbnail jpg 40x20 completed',
    ]);
  });
});

describe.each(backends)('processing and the trash on %s', (_name, open) => {
  let backend: Backend;
  let h: MediaHarness;
  beforeAll(async () => {
    backend = await open();
    h = await openMediaHarness(backend, { worker: false }); // jobs run only when the test runs them
  });
  afterAll(() => backend.close());

  const trash = async (uuid: string) => {
    const payload = (await execute(h.app, TrashDocument, { input: { uuid } }, h.owner.headers)).data?.trashFile;
    return payload?.__typename === 'MutationTrashFileSuccess' ? payload.data.status : payload?.__typename;
  };
  const restore = async (uuid: string) => {
    const payload = (await execute(h.app, RestoreDocument, { input: { uuid } }, h.owner.headers)).data?.restoreFile;
    return payload?.__typename === 'MutationRestoreFileSuccess' ? payload.data.status : payload?.__typename;
  };
  const images = async () => {
    const jpeg = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#654321' } }).jpeg().toBuffer();
    return { fine: jpeg, cut: jpeg.subarray(0, 300) };
  };

  test('a job that ends while its file is in the trash leaves it there with what it learned; restored, it is as processing ended', async () => {
    const { fine, cut } = await images();
    const broken = await uploadMedia(h, 'cut.jpg', cut);
    const good = await uploadMedia(h, 'good.jpg', fine);
    for (const f of [broken, good]) {
      expect(f.status).toBe('processing');
      expect(await trash(f.uuid)).toBe('trashed');
      await h.services.media.processFile(f.uuid, { final: true });
    }
    const brokenRow = await snapshot(h, broken.uuid);
    expect(brokenRow.status).toBe('trashed');
    expect((brokenRow.metadata as { processing_error?: string }).processing_error).toMatch(/^not a readable image/);
    const goodRow = await snapshot(h, good.uuid);
    expect(goodRow).toMatchObject({ status: 'trashed', width: 200, height: 100 });
    expect(await restore(broken.uuid)).toBe('failed');
    expect(await restore(good.uuid)).toBe('active');
  });

  test('a file trashed before its job ran is processing again when restored, with its one job still waiting', async () => {
    const waitingJobs = (uuid: string) =>
      backend.database.sql.query(`SELECT id FROM public_jobs.job WHERE singleton_key = $1 AND state IN ('created', 'retry')`, [uuid]);
    const file = await uploadMedia(h, 'unprocessed.png', await halves(80, 40));
    expect(file.status).toBe('processing');
    expect(await trash(file.uuid)).toBe('trashed');
    // nothing has processed it: restored as `active` it would pass for done, without its size or variants
    expect(await restore(file.uuid)).toBe('processing');
    expect(await waitingJobs(file.uuid)).toHaveLength(1);
    // its job lost meanwhile: restoring queues it again, as does uploading its bytes again
    await backend.database.sql.query(`DELETE FROM public_jobs.job WHERE singleton_key = $1`, [file.uuid]);
    expect(await trash(file.uuid)).toBe('trashed');
    expect(await restore(file.uuid)).toBe('processing');
    expect(await waitingJobs(file.uuid)).toHaveLength(1);
    await backend.database.sql.query(`DELETE FROM public_jobs.job WHERE singleton_key = $1`, [file.uuid]);
    expect(await trash(file.uuid)).toBe('trashed');
    expect(await uploadMedia(h, 'unprocessed again.png', await halves(80, 40))).toMatchObject({ uuid: file.uuid, status: 'processing' });
    expect(await waitingJobs(file.uuid)).toHaveLength(1);

    await h.services.media.runJob({ fileUuid: file.uuid });
    expect(await snapshot(h, file.uuid)).toMatchObject({ status: 'active', width: 80, height: 40 });
  });

  test('a failed file trashed and restored is failed again, and so is one restored by uploading its bytes again', async () => {
    const { cut } = await images();
    const bytes = Buffer.concat([cut, Buffer.from('another cut')]);
    const file = await uploadMedia(h, 'cut again.jpg', bytes);
    await h.services.media.processFile(file.uuid, { final: true });
    expect((await snapshot(h, file.uuid)).status).toBe('failed');
    expect(await trash(file.uuid)).toBe('trashed');
    expect(await restore(file.uuid)).toBe('failed');
    expect(await trash(file.uuid)).toBe('trashed');
    const again = await uploadMedia(h, 'once more.jpg', bytes);
    expect(again).toMatchObject({ uuid: file.uuid, status: 'failed' });
    expect((await snapshot(h, file.uuid)).status).toBe('failed');
  });
});
