import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Logger } from './logger.js';
import { createAuditService } from './modules/audit/audit.service.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createMailer, type Mailer } from './modules/mail/mailer.js';
import { createRateLimiter } from './modules/rate-limit/rate-limit.service.js';
import { createSettingsService } from './modules/settings/setting.service.js';
import { createCsvGeoLookup } from './modules/users/geoip.js';
import { createProfileService } from './modules/users/profile.service.js';

export type ServiceDeps = { db: Database; config: Config; log: Logger; mailer?: Mailer };

/** Every domain service, wired once per app from explicit dependencies. */
export function createServices({ db, config, log, mailer }: ServiceDeps) {
  const prisma = db.prisma;
  const settings = createSettingsService(prisma);
  const rateLimiter = createRateLimiter(prisma);
  const mail = mailer ?? createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, log });
  const audit = createAuditService(prisma, log);
  const geo = config.geoipCsvPath ? createCsvGeoLookup(config.geoipCsvPath) : undefined;
  const auth = createAuthService({ db: prisma, config, log, rateLimiter, settings, geo });
  const profile = createProfileService({ db: prisma, audit });
  return { settings, rateLimiter, mail, audit, auth, profile };
}

export type Services = ReturnType<typeof createServices>;
