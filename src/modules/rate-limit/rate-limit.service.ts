import type { Db } from '../../db/database.js';
import type { RateLimitPolicy } from './policies.js';
import { RATE_LIMITS, retryAfterSeconds } from './policies.js';
import { RateLimitedError } from './rate-limit.errors.js';

export type RateLimiter = {
  /** Counts one attempt for `subject` under `policy`; throws RateLimitedError once the window's limit is passed. */
  hit(policy: RateLimitPolicy, subject: string): Promise<void>;
  /** Deletes the counts whose window has ended under every policy (a hit starts them again at 1); returns how many. */
  prune(): Promise<number>;
};

/** The longest window of any policy: a count older than this is over whatever its policy. */
const LONGEST_WINDOW_SECONDS = Math.max(...Object.values(RATE_LIMITS).map((p) => p.windowSeconds));

/** Fixed windows in Postgres: one atomic upsert per attempt, so every server process shares the counts. */
export function createRateLimiter(db: Db): RateLimiter {
  return {
    async hit(policy, subject) {
      // lower-cased by the database, as the citext emails are compared: every spelling of one account's address
      // ("victİm", "victim") is one count
      const [row] = await db.$queryRaw<{ count: number; window_start: Date; now: Date }[]>`
        INSERT INTO phoenix_kit_rate_limits AS r (key, window_start, count, updated_at)
        VALUES (left(${`${policy.name}:`} || lower(${subject}), 255), now(), 1, now())
        ON CONFLICT (key) DO UPDATE SET
          count = CASE WHEN r.window_start <= now() - make_interval(secs => ${policy.windowSeconds}) THEN 1 ELSE r.count + 1 END,
          window_start = CASE WHEN r.window_start <= now() - make_interval(secs => ${policy.windowSeconds}) THEN now() ELSE r.window_start END,
          updated_at = now()
        RETURNING count, window_start, now() AS now`;
      if (row && row.count > policy.limit) {
        throw new RateLimitedError(retryAfterSeconds(row.window_start, policy.windowSeconds, row.now));
      }
    },
    prune() {
      return db.$executeRaw`
        DELETE FROM phoenix_kit_rate_limits WHERE window_start <= now() - make_interval(secs => ${LONGEST_WINDOW_SECONDS}::int)`;
    },
  };
}
