import type { Services } from '../services.js';
import { FILE_PROCESSING_QUEUE, FILE_PROCESSING_SWEEP_QUEUE, type FileJobData } from '../modules/media/media-queue.js';
import type { JobDefinition } from './job-queue.js';

/** Every job of the server: name, schedule and handler. */
export function jobDefinitions(services: Services): JobDefinition<never>[] {
  return [
    {
      // sessions and mailed links past their lifetime, rate-limit counts whose window has ended: nothing else removes them
      name: 'accounts-prune',
      cron: '15 3 * * *',
      retryLimit: 2,
      handler: async () => {
        await services.auth.pruneExpired();
      },
    },
    {
      name: 'storage-prune-trash',
      cron: '0 3 * * *',
      retryLimit: 2,
      handler: async () => {
        await services.files.pruneTrash();
      },
    },
    {
      name: 'storage-repair',
      cron: '*/10 * * * *',
      retryLimit: 1,
      handler: async () => {
        await services.replication.repair();
      },
    },
    {
      name: 'storage-sweep',
      cron: '30 4 * * *',
      retryLimit: 1,
      // listing every object of large buckets takes long: a run still going must not be taken for a failed one
      expireSeconds: 6 * 60 * 60,
      handler: async () => {
        await services.storageSweep.sweep();
      },
    },
    {
      // file_processing: variants and metadata of one file; the last attempt records failures instead of throwing
      name: FILE_PROCESSING_QUEUE,
      // one job waiting per file (its uuid is the singleton key): simultaneous enqueues cannot both add one
      policy: 'short',
      retryLimit: services.media.options.retryLimit,
      retryDelaySeconds: services.media.options.retryDelaySeconds,
      handler: async (data: FileJobData) => {
        await services.media.runJob(data);
      },
    } satisfies JobDefinition<FileJobData> as JobDefinition<never>,
    {
      name: FILE_PROCESSING_SWEEP_QUEUE,
      cron: services.media.options.sweepCron,
      retryLimit: 1,
      handler: async () => {
        await services.media.sweepStale();
      },
    },
  ];
}
