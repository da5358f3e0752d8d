import { addConstraint, defineVersion, dropConstraint } from './helpers.js';

const OLD_STATUSES = `'queued', 'sent', 'delivered', 'bounced', 'opened', 'clicked', 'failed'`;
const NEW_STATUSES = `'rejected', 'delayed', 'hard_bounced', 'soft_bounced', 'complaint'`;
const OLD_EVENTS = `'send', 'delivery', 'bounce', 'complaint', 'open', 'click'`;
const NEW_EVENTS = `'queued', 'reject', 'delivery_delay', 'subscription', 'rendering_failure', 'failed'`;

/** AWS SES tracking: aws_message_id, per-event timestamps and reasons, extended statuses and event types. */
export default defineVersion(
  13,
  'ses tracking',
  (ctx) => [
    `ALTER TABLE ${ctx.t('phoenix_kit_email_logs')}
       ADD COLUMN IF NOT EXISTS aws_message_id varchar(255),
       ADD COLUMN IF NOT EXISTS bounced_at timestamptz,
       ADD COLUMN IF NOT EXISTS complained_at timestamptz,
       ADD COLUMN IF NOT EXISTS opened_at timestamptz,
       ADD COLUMN IF NOT EXISTS clicked_at timestamptz,
       ADD COLUMN IF NOT EXISTS queued_at timestamptz,
       ADD COLUMN IF NOT EXISTS rejected_at timestamptz,
       ADD COLUMN IF NOT EXISTS failed_at timestamptz,
       ADD COLUMN IF NOT EXISTS delayed_at timestamptz`,
    `CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_email_logs_aws_message_id_uidx
       ON ${ctx.t('phoenix_kit_email_logs')} (aws_message_id) WHERE aws_message_id IS NOT NULL`,
    // widening = drop and re-add under the same name (a no-op in effect when re-run)
    dropConstraint(ctx, 'phoenix_kit_email_logs', 'phoenix_kit_email_logs_status_check'),
    addConstraint(
      ctx,
      'phoenix_kit_email_logs',
      'phoenix_kit_email_logs_status_check',
      `CHECK (status IN (${OLD_STATUSES}, ${NEW_STATUSES}))`,
    ),

    `ALTER TABLE ${ctx.t('phoenix_kit_email_events')}
       ADD COLUMN IF NOT EXISTS reject_reason text,
       ADD COLUMN IF NOT EXISTS delay_type varchar(50),
       ADD COLUMN IF NOT EXISTS subscription_type varchar(50),
       ADD COLUMN IF NOT EXISTS failure_reason text`,
    dropConstraint(ctx, 'phoenix_kit_email_events', 'phoenix_kit_email_events_event_type_check'),
    addConstraint(
      ctx,
      'phoenix_kit_email_events',
      'phoenix_kit_email_events_event_type_check',
      `CHECK (event_type IN (${OLD_EVENTS}, ${NEW_EVENTS}))`,
    ),
  ],
  (ctx) => [
    // statuses the old check does not know map to the nearest old one; events of new types have no old meaning
    `UPDATE ${ctx.t('phoenix_kit_email_logs')} SET status = CASE
        WHEN status IN ('hard_bounced', 'soft_bounced', 'complaint') THEN 'bounced'
        WHEN status = 'rejected' THEN 'failed'
        ELSE 'queued'
      END
      WHERE status IN (${NEW_STATUSES})`,
    `DELETE FROM ${ctx.t('phoenix_kit_email_events')} WHERE event_type IN (${NEW_EVENTS})`,
    dropConstraint(ctx, 'phoenix_kit_email_events', 'phoenix_kit_email_events_event_type_check'),
    addConstraint(ctx, 'phoenix_kit_email_events', 'phoenix_kit_email_events_event_type_check', `CHECK (event_type IN (${OLD_EVENTS}))`),
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_email_events')}
       DROP COLUMN IF EXISTS failure_reason,
       DROP COLUMN IF EXISTS subscription_type,
       DROP COLUMN IF EXISTS delay_type,
       DROP COLUMN IF EXISTS reject_reason`,

    dropConstraint(ctx, 'phoenix_kit_email_logs', 'phoenix_kit_email_logs_status_check'),
    addConstraint(ctx, 'phoenix_kit_email_logs', 'phoenix_kit_email_logs_status_check', `CHECK (status IN (${OLD_STATUSES}))`),
    // the aws_message_id index goes with its column
    `ALTER TABLE IF EXISTS ${ctx.t('phoenix_kit_email_logs')}
       DROP COLUMN IF EXISTS delayed_at,
       DROP COLUMN IF EXISTS failed_at,
       DROP COLUMN IF EXISTS rejected_at,
       DROP COLUMN IF EXISTS queued_at,
       DROP COLUMN IF EXISTS clicked_at,
       DROP COLUMN IF EXISTS opened_at,
       DROP COLUMN IF EXISTS complained_at,
       DROP COLUMN IF EXISTS bounced_at,
       DROP COLUMN IF EXISTS aws_message_id`,
  ],
);
