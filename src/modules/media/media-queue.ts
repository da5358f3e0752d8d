import pg from 'pg';
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
 * queuing a second job while one is still waiting (the queue's `short` policy makes the database refuse it, see
 * jobs.ts), and read the attempt number of the running one (pg-boss 10.4.2, pinned by migration V27: table
 * `<prefix>_jobs.job`).
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

  /** Files this process is processing now (on PGlite, one process, this alone makes a run exclusive). */
  const running = new Set<string>();

  async function liveJobs(fileUuid: string) {
    return database.sql.query<{ state: string; retry_count: number; retry_limit: number }>(
      `SELECT state::text AS state, retry_count, retry_limit FROM ${jobTable}
        WHERE name = $1 AND singleton_key = $2 AND state IN ('created', 'retry', 'active')`,
      [FILE_PROCESSING_QUEUE, fileUuid],
    );
  }

  return {
    /**
     * Queues processing of a file unless a job for it is already waiting (that one will see the latest state);
     * `startAfterSeconds`: not before then.
     */
    async enqueue(fileUuid: string, opts: { startAfterSeconds?: number } = {}): Promise<boolean> {
      const live = await liveJobs(fileUuid);
      if (live.some((j) => j.state === 'created' || j.state === 'retry')) return false;
      const id = await jobs.send(FILE_PROCESSING_QUEUE, { fileUuid } satisfies FileJobData, {
        singletonKey: fileUuid,
        ...(opts.startAfterSeconds ? { startAfter: opts.startAfterSeconds } : {}),
        expireInSeconds: deps.expireInSeconds,
        // per job, so a changed policy applies at once (a pg-boss queue keeps the options it was created with)
        retryLimit: deps.retryLimit,
        retryDelay: deps.retryDelaySeconds,
        retryBackoff: true,
      });
      // null: another enqueue added the waiting job between our look and our send
      return id !== null;
    },

    /**
     * Runs `fn` (one processing run of the file) unless another run of the same file holds it, in this process or any
     * other; then it returns false at once (the caller queues the file again for later). pg-boss gives up waiting for
     * a job that outlives its expiry and retries it while the first run goes on (it cannot stop it): without this, two
     * runs would transcode and store the same variants at once. On PostgreSQL the hold is a transaction-level advisory
     * lock (64-bit key from the uuid) in a transaction kept open for the whole run on a connection of its own: outside
     * the pool the run's statements need (a pool of one would wait on itself), it goes with that connection, and a
     * transaction pooler keeps one server connection for it.
     */
    async exclusively(fileUuid: string, fn: () => Promise<void>): Promise<boolean> {
      if (running.has(fileUuid)) return false;
      running.add(fileUuid);
      try {
        if (database.kind === 'pglite' || !database.url) {
          await fn();
          return true;
        }
        const connection = new pg.Client({ connectionString: database.url });
        connection.on('error', () => undefined); // a dropped connection only ends the hold
        await connection.connect();
        try {
          await connection.query('BEGIN');
          // the transaction stays idle while the file is processed: a server-wide idle limit must not end the hold
          await connection.query('SET LOCAL idle_in_transaction_session_timeout = 0');
          const { rows } = await connection.query<{ locked: boolean }>(
            `SELECT pg_try_advisory_xact_lock(('x' || substr(md5($1), 1, 16))::bit(64)::bigint) AS locked`,
            [`phoenix_kit_file_processing:${fileUuid}`],
          );
          if (!rows[0]?.locked) return false;
          await fn();
          return true;
        } finally {
          await connection.query('ROLLBACK').catch(() => undefined);
          await connection.end().catch(() => undefined);
        }
      } finally {
        running.delete(fileUuid);
      }
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
