import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Logger } from './logger.js';
import { createAuditService } from './modules/audit/audit.service.js';
import { createAccountTokensService } from './modules/auth/account-tokens.service.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createMailer, type Mailer } from './modules/mail/mailer.js';
import { createRateLimiter } from './modules/rate-limit/rate-limit.service.js';
import { createRoleService } from './modules/roles/role.service.js';
import { createSettingsService } from './modules/settings/setting.service.js';
import { createCsvGeoLookup } from './modules/users/geoip.js';
import { createProfileService } from './modules/users/profile.service.js';
import { createUserAdminService } from './modules/users/user-admin.service.js';

export type ServiceDeps = { db: Database; config: Config; log: Logger; mailer?: Mailer };

/** Every domain service, wired once per app from explicit dependencies. */
export function createServices({ db, config, log, mailer }: ServiceDeps) {
  const prisma = db.prisma;
  const settings = createSettingsService({ db, log });
  const rateLimiter = createRateLimiter(prisma);
  const mail = mailer ?? createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, log });
  const audit = createAuditService(prisma, log);
  const geo = config.geoipCsvPath ? createCsvGeoLookup(config.geoipCsvPath) : undefined;
  const auth = createAuthService({ db: prisma, config, log, rateLimiter, settings, geo });
  const accountTokens = createAccountTokensService({ db: prisma, config, log, rateLimiter, settings, mail, auth });
  const profile = createProfileService({ db: prisma, audit });
  const roles = createRoleService({ db: prisma, audit, log });
  const userAdmin = createUserAdminService({ db: prisma, audit, log });
  return {
    settings,
    rateLimiter,
    mail,
    audit,
    auth,
    profile,
    accountTokens,
    roles,
    userAdmin,
    /** Stops background work (setting listeners, storage clients); the database itself is closed by its owner. */
    async close() {
      await settings.close();
    },
  };
}

export type Services = ReturnType<typeof createServices>;
