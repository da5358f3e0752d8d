import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createJobQueue, type JobQueue } from '../../src/jobs/job-queue.js';
import { jobDefinitions } from '../../src/jobs/jobs.js';
import type { App } from '../../src/app.js';
import { createTestApp, signUp, silentLog } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { halves } from '../fixtures/media/make.js';
import { openMediaHarness, uploadMedia, type MediaHarness } from '../fixtures/media/harness.js';

async function until<T>(fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(backends)('job queue on %s', (_name, open) => {
  let backend: Backend;
  let app: App;
  let queue: JobQueue;
  beforeAll(async () => {
    backend = await open();
    app = createTestApp(backend);
    queue = createJobQueue({ database: backend.database, log: silentLog, pollingIntervalSeconds: 0.5 });
    await queue.start();
    await queue.register(jobDefinitions(app.services), true);
    backend.onClose(() => queue.stop());
  });
  afterAll(() => backend.close());

  test('a queue an older server made with other options gets today\'s on start (a sweep may run 6 hours)', async () => {
    // as the server once made it: pg-boss's 15-minute limit, fewer retries
    await backend.database.sql.query(
      `UPDATE public_jobs.queue SET expire_seconds = 900, retry_limit = 0 WHERE name = 'storage-sweep'`,
    );
    await queue.register(jobDefinitions(app.services), false);
    const [sweep] = await backend.database.sql.query<{ expire_seconds: number; retry_limit: number }>(
      `SELECT expire_seconds, retry_limit FROM public_jobs.queue WHERE name = 'storage-sweep'`,
    );
    expect(sweep).toEqual({ expire_seconds: 6 * 60 * 60, retry_limit: 1 });
  });

  test('a queue whose stored options are already today\'s is not updated on start', async () => {
    const update = vi.spyOn(queue.boss, 'updateQueue');
    try {
      await queue.register(jobDefinitions(app.services), false);
      expect(update).not.toHaveBeenCalled();
    } finally {
      update.mockRestore();
    }
  });

  test('the scheduled jobs are registered with their cron', async () => {
    const schedules = await backend.database.sql.query<{ name: string; cron: string }>(
      `SELECT name, cron FROM public_jobs.schedule ORDER BY name`,
    );
    expect(schedules).toEqual([
      { name: 'accounts-prune', cron: '15 3 * * *' },
      { name: 'file-processing-sweep', cron: '*/5 * * * *' },
      { name: 'storage-prune-trash', cron: '0 3 * * *' },
      { name: 'storage-repair', cron: '*/10 * * * *' },
      { name: 'storage-sweep', cron: '30 4 * * *' },
    ]);
    const [sweep] = await backend.database.sql.query<{ expire_seconds: number }>(
      `SELECT expire_seconds FROM public_jobs.queue WHERE name = 'storage-sweep'`,
    );
    expect(sweep).toEqual({ expire_seconds: 6 * 60 * 60 });
  });

  test('a queued prune job deletes trash older than the retention period, and only that', async () => {
    const owner = await signUp(app);
    const { prisma } = backend.database;
    const make = (daysAgo: number) =>
      prisma.file.create({
        data: {
          originalFileName: 'old.txt', fileName: 'old.txt', mimeType: 'text/plain', fileType: 'document', ext: 'txt',
          fileChecksum: randomUUID(), userFileChecksum: randomUUID(), size: 1n, userUuid: owner.uuid,
          status: 'trashed', trashedAt: new Date(Date.now() - daysAgo * 86_400_000),
        },
      });
    const old = await make(31);
    const recent = await make(29);
    await queue.send('storage-prune-trash', {});
    const remaining = await until(
      () => prisma.file.findMany({ where: { uuid: { in: [old.uuid, recent.uuid] } }, select: { uuid: true } }),
      (rows) => rows.length === 1,
    );
    expect(remaining.map((r) => r.uuid)).toEqual([recent.uuid]);
  });

  test('a queued accounts prune deletes tokens past their lifetime and rate-limit counts past every window, and only those', async () => {
    const prisma = backend.database.prisma;
    const user = await signUp(app);
    const SECOND = 1000;
    const MINUTE = 60 * SECOND;
    const DAY = 24 * 60 * MINUTE;
    // each context just past its lifetime and just within it (by a minute: the job runs a moment after these rows)
    const lifetimes: Array<[string, number]> = [
      ['session', 60 * DAY],
      ['confirm', 7 * DAY],
      ['reset_password', 60 * MINUTE],
      ['magic_link', 15 * MINUTE],
      ['magic_link_registration', 30 * MINUTE],
      ['change:old@example.com', 7 * DAY],
    ];
    const now = Date.now();
    const rows = lifetimes.flatMap(([context, ms]) => [
      { context, age: ms + MINUTE, expired: true },
      { context, age: ms - MINUTE, expired: false },
    ]);
    // a context this server does not know is never taken for expired, however old
    rows.push({ context: 'api_key', age: 400 * DAY, expired: false });
    const made: Array<{ context: string; age: number; expired: boolean; uuid: string }> = [];
    for (const row of rows) {
      const token = await prisma.userToken.create({
        data: {
          userUuid: row.context === 'magic_link_registration' ? null : user.uuid,
          token: new Uint8Array(Buffer.from(randomUUID())),
          context: row.context,
          sentTo: user.email,
          insertedAt: new Date(now - row.age),
        },
      });
      made.push({ ...row, uuid: token.uuid });
    }
    const key = `test:${randomUUID()}`;
    await prisma.rateLimit.createMany({
      data: [
        { key: `${key}:old`, windowStart: new Date(now - 60 * MINUTE - MINUTE), count: 9 },
        { key: `${key}:recent`, windowStart: new Date(now - 60 * MINUTE + MINUTE), count: 9 },
      ],
    });
    await queue.send('accounts-prune', {});
    // the job deletes tokens, then counts (two statements): wait until both have gone
    const left = await until(
      async () => ({
        tokens: await prisma.userToken.findMany({ where: { uuid: { in: made.map((m) => m.uuid) } }, select: { uuid: true } }),
        limits: await prisma.rateLimit.findMany({ where: { key: { startsWith: key } }, select: { key: true } }),
      }),
      ({ tokens, limits }) => tokens.length < made.length && limits.length < 2,
    );
    expect(new Set(left.tokens.map((k) => k.uuid))).toEqual(new Set(made.filter((m) => !m.expired).map((m) => m.uuid)));
    expect(left.limits.map((l) => l.key)).toEqual([`${key}:recent`]);
    // the user's own session, made at sign-up, is live and stays
    expect(await app.services.auth.resolveViewer(`Bearer ${user.token}`, { ip: '127.0.0.1', userAgent: null })).not.toBeNull();
  });
});

describe.each(backends)('file-processing jobs on %s', (_name, open) => {
  let backend: Backend;
  let h: MediaHarness;
  beforeAll(async () => {
    backend = await open();
    h = await openMediaHarness(backend, { worker: false }); // jobs stay queued
  });
  afterAll(() => backend.close());

  const waitingJobs = (uuid: string) =>
    backend.database.sql.query(
      `SELECT id FROM public_jobs.job WHERE name = 'file-processing' AND singleton_key = $1 AND state IN ('created', 'retry')`,
      [uuid],
    );
  const policy = async () =>
    (await backend.database.sql.query<{ policy: string }>(`SELECT policy FROM public_jobs.queue WHERE name = 'file-processing'`))[0]?.policy;

  test('simultaneous regenerations of one file queue one job (a job already waiting for the file is not queued twice)', async () => {
    const { uuid } = await uploadMedia(h, 'twice.png', await halves(64, 32));
    await backend.database.sql.query(`DELETE FROM public_jobs.job WHERE singleton_key = $1`, [uuid]);
    await Promise.all([h.services.media.regenerate(uuid), h.services.media.regenerate(uuid), h.services.media.regenerate(uuid)]);
    expect(await waitingJobs(uuid)).toHaveLength(1);
  });

  test('a queue created before it had its policy (a database from an older server) gets it on start', async () => {
    expect(await policy()).toBe('short');
    await backend.database.sql.query(`UPDATE public_jobs.queue SET policy = 'standard' WHERE name = 'file-processing'`);
    await h.services.jobs.register(jobDefinitions(h.services), false);
    expect(await policy()).toBe('short');
    const { uuid } = await uploadMedia(h, 'upgraded.png', await halves(48, 32));
    await backend.database.sql.query(`DELETE FROM public_jobs.job WHERE singleton_key = $1`, [uuid]);
    await Promise.all([h.services.media.regenerate(uuid), h.services.media.regenerate(uuid)]);
    expect(await waitingJobs(uuid)).toHaveLength(1);
  });
});
