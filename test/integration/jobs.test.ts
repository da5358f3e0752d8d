import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createJobQueue, type JobQueue } from '../../src/jobs/job-queue.js';
import { jobDefinitions } from '../../src/jobs/jobs.js';
import type { App } from '../../src/app.js';
import { createTestApp, signUp, silentLog } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';

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

  test('the scheduled jobs are registered with their cron', async () => {
    const schedules = await backend.database.sql.query<{ name: string; cron: string }>(
      `SELECT name, cron FROM public_jobs.schedule ORDER BY name`,
    );
    expect(schedules).toEqual([
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
});
