import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Logger } from './logger.js';
import { deriveSecrets, loadOrCreateSecretKeyBase } from './security/secrets.js';
import { createAuditService } from './modules/audit/audit.service.js';
import { createAccountTokensService } from './modules/auth/account-tokens.service.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createMailer, type Mailer } from './modules/mail/mailer.js';
import { createRateLimiter } from './modules/rate-limit/rate-limit.service.js';
import { createRoleService } from './modules/roles/role.service.js';
import { createSettingsService } from './modules/settings/setting.service.js';
import { createJobQueue } from './jobs/job-queue.js';
import { createBucketService } from './modules/files/bucket.service.js';
import { createFileUrls } from './modules/files/file-urls.js';
import { createFileService } from './modules/files/file.service.js';
import { createReplicationService } from './modules/files/replication.service.js';
import { createLocalFileEvents } from './modules/media/file-events.js';
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
  const fileEvents = createLocalFileEvents();
  const jobs = createJobQueue({ database: db, log, pollingIntervalSeconds: config.jobsPollSeconds });
  const secrets = deriveSecrets(loadOrCreateSecretKeyBase(config.secretKeyBase, config.dataDir));
  const buckets = createBucketService({ db: prisma, log, secretKey: secrets.bucketSecretKey, storage: { dataDir: config.dataDir } });
  const files = createFileService({ db: prisma, log, settings, buckets });
  const replication = createReplicationService({ db: prisma, log, settings, buckets, files });
  const fileUrls = createFileUrls({ secret: secrets.fileUrlKey, publicUrl: config.publicUrl });
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
    buckets,
    files,
    replication,
    fileUrls,
    jobs,
    fileEvents,
    /** Stops background work (setting listeners, storage clients); the database itself is closed by its owner. */
    async close() {
      await jobs.stop();
      await fileEvents.close();
      await Promise.all([settings.close(), buckets.close()]);
    },
  };
}

export type Services = ReturnType<typeof createServices>;
