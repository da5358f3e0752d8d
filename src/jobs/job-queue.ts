import PgBoss from 'pg-boss';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';

export type JobHandler<T> = (data: T) => Promise<void>;

export type JobDefinition<T = Record<string, never>> = Readonly<{
  name: string;
  /** Cron (UTC) for recurring jobs. */
  cron?: string;
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** How long one run may take before it counts as failed (and is retried); pg-boss's default is 15 minutes. */
  expireSeconds?: number;
  /**
   * pg-boss queue policy; `short`: at most one job per singleton key waiting to start (a second send is refused by a
   * unique index, so two processes queuing at once cannot both add one). Default `standard`: no such limit.
   */
  policy?: 'standard' | 'short';
  /** Concurrent jobs per process. */
  concurrency?: number;
  handler: JobHandler<T>;
}>;

/**
 * The Postgres-backed job queue (pg-boss, in the `<prefix>_jobs` schema that migration V27 creates). pg-boss talks to the
 * database through our own SQL runner, so the same queue runs on a PostgreSQL server and on embedded PGlite.
 */
/** Whether a stored queue's options differ from those asked for (an option left unset is not compared: it keeps what is stored). */
export function queueDiffers(current: object, wanted: object): boolean {
  const stored = current as Record<string, unknown>;
  return Object.entries(wanted).some(([key, value]) => value !== undefined && stored[key] !== value);
}

export function createJobQueue(opts: { database: Database; log: Logger; pollingIntervalSeconds?: number }) {
  const { database, log } = opts;
  const db: PgBoss.Db = {
    async executeSql(text, values = []) {
      // pg-boss sends a few multi-statement scripts (no parameters): those go through the simple protocol
      if (values.length === 0 && text.trim().replace(/;\s*$/, '').includes(';')) {
        await database.sql.exec(text);
        return { rows: [] };
      }
      return { rows: await database.sql.query(text, values) };
    },
  };
  const boss = new PgBoss({
    db,
    schema: `${database.prefix}_jobs`,
    migrate: false,
    supervise: true,
    schedule: true,
    pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2,
  });
  boss.on('error', (error) => log.error({ err: error }, 'job queue error'));
  /** Worker ids of this process per queue, woken when this process queues work for them. */
  const workers = new Map<string, string[]>();
  let started = false;
  let starting: Promise<void> | undefined;

  return {
    boss,
    async start() {
      starting ??= boss.start().then(() => {
        started = true;
      });
      await starting;
    },

    /** Declares the queues (and their schedules); with `work`, this process also runs their handlers. */
    async register(definitions: readonly JobDefinition<never>[], work: boolean) {
      for (const def of definitions) {
        const options = {
          name: def.name,
          policy: def.policy ?? 'standard',
          retryLimit: def.retryLimit ?? 3,
          retryDelay: def.retryDelaySeconds ?? 10,
          retryBackoff: true,
          ...(def.expireSeconds ? { expireInSeconds: def.expireSeconds } : {}),
        } as const;
        // copies: pg-boss adds its own keys to the options object it is given
        await boss.createQueue(def.name, { ...options });
        // createQueue leaves an existing queue as it was: one created by an older server gets today's options here
        // (new jobs copy them; every queue's table has the policies' indexes)
        const current = await boss.getQueue(def.name);
        if (current && queueDiffers(current, options)) await boss.updateQueue(def.name, { ...options });
        if (def.cron) await boss.schedule(def.name, def.cron, {}, { tz: 'UTC' });
        if (work) {
          const workerId: string = await boss.work<never>(
            def.name,
            { batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2 },
            async ([job]) => {
              if (!job) return;
              log.debug({ job: def.name, id: job.id }, 'job started');
              try {
                await def.handler(job.data);
              } finally {
                // fetch the next job at once instead of waiting out the polling interval
                setImmediate(() => boss.notifyWorker(workerId));
              }
            },
          );
          workers.set(def.name, [...(workers.get(def.name) ?? []), workerId]);
        }
      }
    },

    /** Queues a job (starting the queue's connection on first use). */
    async send(name: string, data: object, options: PgBoss.SendOptions = {}) {
      await this.start();
      const id = await boss.send(name, data, options);
      for (const workerId of workers.get(name) ?? []) boss.notifyWorker(workerId);
      return id;
    },

    async stop() {
      if (starting) await starting.catch(() => undefined);
      if (!started) return;
      started = false;
      starting = undefined;
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}

export type JobQueue = ReturnType<typeof createJobQueue>;
