import type { Services } from '../services.js';
import type { JobDefinition } from './job-queue.js';

/** Every job of the server: name, schedule and handler. */
export function jobDefinitions(services: Services): JobDefinition<never>[] {
  return [
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
  ];
}
