import nodemailer from 'nodemailer';
import type { Logger } from '../../logger.js';

export type Mail = Readonly<{ to: string; subject: string; text: string; html?: string }>;

export type Mailer = { send(mail: Mail): Promise<void> };

/** SMTP through nodemailer when `smtpUrl` is set; otherwise every mail is written to the log (development). */
export function createMailer(opts: { smtpUrl: string | undefined; from: string; log: Logger }): Mailer {
  if (!opts.smtpUrl) {
    return {
      async send(mail) {
        opts.log.info({ mail: { to: mail.to, subject: mail.subject, text: mail.text } }, 'mail (no SMTP_URL set)');
      },
    };
  }
  const transport = nodemailer.createTransport(opts.smtpUrl);
  return {
    async send(mail) {
      await transport.sendMail({ from: opts.from, ...mail });
      opts.log.info({ to: mail.to, subject: mail.subject }, 'mail sent');
    },
  };
}
