import { defineVersion } from './helpers.js';

/** Composite index for looking up email logs by both message ids (SES events). */
export default defineVersion(
  21,
  'email logs message id index',
  (ctx) => [
    `CREATE INDEX IF NOT EXISTS phoenix_kit_email_logs_message_id_aws_message_id_index
       ON ${ctx.t('phoenix_kit_email_logs')} (message_id, aws_message_id)`,
  ],
  (ctx) => [`DROP INDEX IF EXISTS ${ctx.schema}.phoenix_kit_email_logs_message_id_aws_message_id_index`],
);
