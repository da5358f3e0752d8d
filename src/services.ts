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
import { createStorageSweep } from './modules/files/storage-sweep.service.js';
import { createLocalFileEvents } from './modules/media/file-events.js';
import { createPostgresFileEvents } from './modules/media/file-events-postgres.js';
import { createMediaService, mediaOptions, type MediaOptionOverrides } from './modules/media/media-processing.service.js';
import { createMediaQueue } from './modules/media/media-queue.js';
import { createVariantStore } from './modules/media/variant-store.js';
import { createDimensionService } from './modules/dimensions/dimension.service.js';
import { createSystemFileStore } from './modules/tiles/system-files.js';
import { createTileService } from './modules/tiles/tile.service.js';
import { createCommentMediaService } from './modules/comments/comment-media.service.js';
import { createCommentService } from './modules/comments/comment.service.js';
import { createEntityDataService } from './modules/entities/entity-data.service.js';
import { createEntityService } from './modules/entities/entity.service.js';
import { createCsvGeoLookup } from './modules/users/geoip.js';
import { createProfileService } from './modules/users/profile.service.js';
import { createUserAdminService } from './modules/users/user-admin.service.js';

export type ServiceDeps = { db: Database; config: Config; log: Logger; mailer?: Mailer; media?: MediaOptionOverrides };

/** Every domain service, wired once per app from explicit dependencies. */
export function createServices({ db, config, log, mailer, media: mediaOverrides }: ServiceDeps) {
  const prisma = db.prisma;
  const settings = createSettingsService({ db, log });
  const rateLimiter = createRateLimiter(prisma);
  const mail = mailer ?? createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, log });
  const audit = createAuditService(prisma, log);
  const geo = config.geoipCsvPath ? createCsvGeoLookup(config.geoipCsvPath) : undefined;
  const auth = createAuthService({ db: prisma, sql: db.sql, config, log, rateLimiter, settings, geo });
  const accountTokens = createAccountTokensService({ db: prisma, config, log, rateLimiter, settings, mail, auth });
  const profile = createProfileService({ db: prisma, audit });
  const roles = createRoleService({ db: prisma, audit, log });
  const userAdmin = createUserAdminService({ db: prisma, audit, log });
  // PGlite is one process; on PostgreSQL workers may be other processes: NOTIFY / LISTEN carries the events
  const fileEvents =
    db.kind === 'postgres' && db.url
      ? createPostgresFileEvents({ url: db.url, prefix: db.prefix, sql: db.sql, log })
      : createLocalFileEvents();
  const jobs = createJobQueue({ database: db, log, pollingIntervalSeconds: config.jobsPollSeconds });
  const secrets = deriveSecrets(loadOrCreateSecretKeyBase(config.secretKeyBase, config.dataDir));
  const buckets = createBucketService({ db: prisma, log, secretKey: secrets.bucketSecretKey, storage: { dataDir: config.dataDir } });
  const mediaConfig = mediaOptions(mediaOverrides);
  const mediaQueue = createMediaQueue({
    database: db,
    jobs,
    expireInSeconds: mediaConfig.jobExpireSeconds,
    retryLimit: mediaConfig.retryLimit,
    retryDelaySeconds: mediaConfig.retryDelaySeconds,
  });
  const files = createFileService({ db: prisma, log, settings, buckets, processing: mediaQueue, copyGraceMs: config.uploadCopyGraceMs });
  const variants = createVariantStore({ db: prisma, log, buckets, files });
  const media = createMediaService({ db: prisma, log, settings, files, variants, queue: mediaQueue, events: fileEvents, options: mediaConfig });
  const dimensions = createDimensionService({ db: prisma, log });
  const replication = createReplicationService({ db: prisma, log, settings, buckets, files });
  const storageSweep = createStorageSweep({ db: prisma, log, buckets, files });
  const fileUrls = createFileUrls({ secret: secrets.fileUrlKey, publicUrl: config.publicUrl });
  const entities = createEntityService({ db: prisma, log, settings });
  const entityData = createEntityDataService({ db: prisma, log, files, entities });
  const comments = createCommentService({ db: prisma, log, settings, files });
  const commentMedia = createCommentMediaService({ db: prisma, log, comments, files });
  const systemFiles = createSystemFileStore({ db: prisma, log, buckets });
  const tiles = createTileService({ db: prisma, log, settings, files, systemFiles });
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
    storageSweep,
    fileUrls,
    entities,
    entityData,
    comments,
    commentMedia,
    systemFiles,
    tiles,
    jobs,
    fileEvents,
    media,
    dimensions,
    /** Stops background work (setting listeners, storage clients); the database itself is closed by its owner. */
    async close() {
      await jobs.stop();
      await tiles.close();
      await fileEvents.close();
      await Promise.all([settings.close(), buckets.close()]);
    },
  };
}

export type Services = ReturnType<typeof createServices>;
