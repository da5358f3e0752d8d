/** What a migration version sees: the validated prefix and helpers to name objects inside it. */
export interface MigrationContext {
  /** Raw schema name, e.g. `public` or `tenant_a` (already validated). */
  readonly prefix: string;
  /** Quoted schema name for SQL, e.g. `"tenant_a"`. */
  readonly schema: string;
  /** Schema-qualified, quoted table/function name: `t('phoenix_kit_users')` → `"public"."phoenix_kit_users"`. */
  t(name: string): string;
  /** Quoted name of the job-queue schema that belongs to this prefix (`<prefix>_jobs`). */
  readonly jobsSchema: string;
}

/** One reversible version of the chain. `up`/`down` return the SQL statements to run, in order, in one transaction. */
export interface MigrationVersion {
  readonly version: number;
  readonly name: string;
  up(ctx: MigrationContext): readonly string[];
  down(ctx: MigrationContext): readonly string[];
}
