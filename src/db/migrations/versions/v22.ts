import { addConstraint, defineVersion, uuidV7Default } from './helpers.js';

/** Admin audit log, SES events that matched no email log yet, and aggregated email metrics. */
export default defineVersion(
  22,
  'audit logs and email metrics',
  (ctx) => [
    // no FKs: the trail must outlive the users it mentions
    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_audit_logs')} (
      uuid uuid NOT NULL DEFAULT ${uuidV7Default(ctx)},
      target_user_uuid uuid NOT NULL,
      admin_user_uuid uuid NOT NULL,
      action varchar(255) NOT NULL,
      ip_address varchar(45),
      user_agent text,
      metadata jsonb NOT NULL DEFAULT '{}',
      inserted_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_audit_logs', 'phoenix_kit_audit_logs_pkey', 'PRIMARY KEY (uuid)'),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_audit_logs_target_user_uuid_index ON ${ctx.t('phoenix_kit_audit_logs')} (target_user_uuid)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_audit_logs_admin_user_uuid_index ON ${ctx.t('phoenix_kit_audit_logs')} (admin_user_uuid)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_audit_logs_action_index ON ${ctx.t('phoenix_kit_audit_logs')} (action)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_audit_logs_inserted_at_index ON ${ctx.t('phoenix_kit_audit_logs')} (inserted_at)`,

    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_email_orphaned_events')} (
      uuid uuid NOT NULL DEFAULT ${uuidV7Default(ctx)},
      message_id varchar(255),
      aws_message_id varchar(255),
      event_type varchar(50) NOT NULL,
      event_data jsonb NOT NULL DEFAULT '{}',
      received_at timestamptz NOT NULL DEFAULT now(),
      processed boolean NOT NULL DEFAULT false,
      processed_at timestamptz,
      inserted_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_email_orphaned_events', 'phoenix_kit_email_orphaned_events_pkey', 'PRIMARY KEY (uuid)'),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_email_orphaned_events_aws_message_id_index
       ON ${ctx.t('phoenix_kit_email_orphaned_events')} (aws_message_id)`,
    `CREATE INDEX IF NOT EXISTS phoenix_kit_email_orphaned_events_processed_index
       ON ${ctx.t('phoenix_kit_email_orphaned_events')} (processed)`,

    `CREATE TABLE IF NOT EXISTS ${ctx.t('phoenix_kit_email_metrics')} (
      uuid uuid NOT NULL DEFAULT ${uuidV7Default(ctx)},
      metric_name varchar(100) NOT NULL,
      metric_value numeric NOT NULL DEFAULT 0,
      dimensions jsonb NOT NULL DEFAULT '{}',
      recorded_at timestamptz NOT NULL DEFAULT now(),
      inserted_at timestamptz NOT NULL DEFAULT now()
    )`,
    addConstraint(ctx, 'phoenix_kit_email_metrics', 'phoenix_kit_email_metrics_pkey', 'PRIMARY KEY (uuid)'),
    `CREATE INDEX IF NOT EXISTS phoenix_kit_email_metrics_metric_name_recorded_at_index
       ON ${ctx.t('phoenix_kit_email_metrics')} (metric_name, recorded_at)`,
  ],
  (ctx) => [
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_email_metrics')}`,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_email_orphaned_events')}`,
    `DROP TABLE IF EXISTS ${ctx.t('phoenix_kit_audit_logs')}`,
  ],
);
