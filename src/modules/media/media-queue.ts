import type { Database } from '../../db/database.js';
import type { JobQueue } from '../../jobs/job-queue.js';

/** pg-boss queue of the `file_processing` jobs (one per file, keyed by the file's uuid). */
export const FILE_PROCESSING_QUEUE = 'file-processing';
/** Scheduled job that fails or re-queues files left in `processing`. */
export const FILE_PROCESSING_SWEEP_QUEUE = 'file-processing-sweep';

export type FileJobData = { fileUuid: string };
export type JobAttempt = { retryCount: number; retryLimit: number };

/**
 * Sending and inspecting file-processing jobs. Jobs carry the file uuid as pg-boss singleton key, which lets us skip
 * queuing a second job while one is still waiting, and read the attempt number of the running one (pg-boss 10.4.2,
 * pinned by migration V27: table `<prefix>_jobs.job`).
 */
export function createMediaQueue(deps: {
  database: Database;
  jobs: JobQueue;
  expireInSeconds: number;
  retryLimit: number;
  retryDelaySeconds: number;
}) {
  const { database, jobs } = deps;
  const jobTable = `"${database.prefix}_jobs".job`;

  async function liveJobs(fileUuid: string) {
    return database.sql.query<{ state: string; retry_count: number; retry_limit: number }>(
      `SELECT state::text AS state, retry_count, retry_limit FROM ${jobTable}
        WHERE name = $1 AND singleton_key = $2 AND state IN ('created', 'retry', 'active')`,
      [FILE_PROCESSING_QUEUE, fileUuid],
    );
  }

  return {
    /** Queues processing of a file unless a job for it is already waiting (that one will see the latest state). */
    async enqueue(fileUuid: string): Promise<boolean> {
      const live = await liveJobs(fileUuid);
      if (live.some((j) => j.state === 'created' || j.state === 'retry')) return false;
      await jobs.send(FILE_PROCESSING_QUEUE, { fileUuid } satisfies FileJobData, {
        singletonKey: fileUuid,
        expireInSeconds: deps.expireInSeconds,
        // per job, so a changed policy applies at once (a pg-boss queue keeps the options it was created with)
        retryLimit: deps.retryLimit,
        retryDelay: deps.retryDelaySeconds,
        retryBackoff: true,
      });
      return true;
    },

    /** Whether a job for the file is waiting, retrying or running. */
    async hasLiveJob(fileUuid: string): Promise<boolean> {
      return (await liveJobs(fileUuid)).length > 0;
    },

    /** The running job's attempt (retry_count counts from 0), or null when none runs (e.g. a direct call). */
    async attempt(fileUuid: string): Promise<JobAttempt | null> {
      const active = (await liveJobs(fileUuid)).filter((j) => j.state === 'active');
      if (active.length === 0) return null;
      const latest = active.reduce((a, b) => (b.retry_count > a.retry_count ? b : a));
      return { retryCount: latest.retry_count, retryLimit: latest.retry_limit };
    },
  };
}

export type MediaQueue = ReturnType<typeof createMediaQueue>;
