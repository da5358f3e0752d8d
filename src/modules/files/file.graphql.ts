import { GraphQLError } from 'graphql';
import { builder } from '../../graphql/builder.js';
import { checkOneOf } from '../../graphql/errors.js';
import { escapeLike } from '../../util/text.js';
import { selectingSomething } from '../../graphql/query.js';
import { FILE_TYPES } from './domain/classify.js';
import { isUrlLifetime, isUrlVariant, MAX_URL_LIFETIME_SECONDS, MAX_VARIANT_PATH_CHARS } from './domain/url-token.js';

const FILE_STATUSES: readonly string[] = ['processing', 'active', 'failed', 'trashed'];

/** When a URL asked for with `expiresInSeconds` stops working (null: never); out of range is BAD_USER_INPUT. */
export function urlExpiresAt(expiresInSeconds: number | null | undefined): Date | null {
  if (expiresInSeconds == null) return null;
  if (!isUrlLifetime(expiresInSeconds)) {
    throw new GraphQLError(`expiresInSeconds must be 1 to ${MAX_URL_LIFETIME_SECONDS} (a year)`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return new Date(Date.now() + expiresInSeconds * 1000);
}


builder.prismaNode('StorageDimension', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    name: t.exposeString('name'),
    width: t.exposeInt('width', { nullable: true }),
    height: t.exposeInt('height', { nullable: true }),
    quality: t.exposeInt('quality'),
    format: t.exposeString('format', { nullable: true }),
    appliesTo: t.exposeString('appliesTo'),
    enabled: t.exposeBoolean('enabled'),
    order: t.exposeInt('order'),
    maintainAspectRatio: t.exposeBoolean('maintainAspectRatio'),
    alternativeFormats: t.exposeStringList('alternativeFormats'),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

// File, FileInstance, FileLocation and Bucket load the columns a query asks for (select mode), so listings stay small
// and a bucket's credentials are read only where a field needs them. But each field declared with `select` (or exposed
// on a select-mode type) runs the Prisma plugin's per-field bookkeeping, a quarter of the server's CPU in the bench's
// file listing (`npm run bench -- files`, figure 3). So what a file list shows (a file's name and size; a variant's
// name and URL; where each copy is, its status and its bucket's name) comes with every row (the type's `select`) and
// resolves straight from it. Measured: adding more columns to these sets (MIME types, dimensions, statuses) cost more
// in Prisma's row mapping than it saved.
builder.prismaNode('FileLocation', {
  id: { field: 'uuid' },
  select: { uuid: true, path: true, status: true },
  fields: (t) => ({
    uuid: t.field({ type: 'UUID', resolve: (l) => l.uuid }),
    path: t.string({ resolve: (l) => l.path }),
    status: t.string({ resolve: (l) => l.status }),
    priority: t.exposeInt('priority'),
    lastVerifiedAt: t.expose('lastVerifiedAt', { type: 'DateTime', nullable: true }),
    bucket: t.relation('bucket'),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaNode('FileInstance', {
  id: { field: 'uuid' },
  select: { uuid: true, fileUuid: true, variantName: true },
  fields: (t) => ({
    uuid: t.field({ type: 'UUID', resolve: (i) => i.uuid }),
    variantName: t.string({ resolve: (i) => i.variantName }),
    fileName: t.exposeString('fileName'),
    mimeType: t.exposeString('mimeType'),
    ext: t.exposeString('ext'),
    checksum: t.exposeString('checksum'),
    size: t.float({ select: { size: true }, resolve: (i) => Number(i.size) }),
    width: t.exposeInt('width', { nullable: true }),
    height: t.exposeInt('height', { nullable: true }),
    processingStatus: t.exposeString('processingStatus'),
    url: t.string({
      description: 'Token URL of this variant (no expiry).',
      resolve: (i, _args, ctx) => ctx.services.fileUrls.url(i.fileUuid, i.variantName),
    }),
    locations: t.relation('locations', { query: { orderBy: [{ priority: 'asc' }, { uuid: 'asc' }] } }),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

/**
 * `copies` and `underReplicated` read the instances with the same arguments as the `instances` field, so a query asking
 * for both is still one statement (selections of one relation merge only when their arguments are equal).
 */
const instanceOrder = { variantName: 'asc' } as const;
const originalCopies = { orderBy: instanceOrder, select: { variantName: true, activeCopies: true } } as const;
const copiesOfOriginal = (instances: readonly { variantName: string; activeCopies: number }[]) =>
  instances.find((i) => i.variantName === 'original')?.activeCopies ?? 0;

builder.prismaNode('File', {
  id: { field: 'uuid' },
  select: { uuid: true, originalFileName: true, size: true },
  fields: (t) => ({
    uuid: t.field({ type: 'UUID', resolve: (f) => f.uuid }),
    originalFileName: t.string({ resolve: (f) => f.originalFileName }),
    fileName: t.exposeString('fileName'),
    filePath: t.exposeString('filePath', { nullable: true }),
    mimeType: t.exposeString('mimeType'),
    fileType: t.exposeString('fileType'),
    ext: t.exposeString('ext'),
    fileChecksum: t.exposeString('fileChecksum'),
    userFileChecksum: t.exposeString('userFileChecksum'),
    size: t.float({ resolve: (f) => Number(f.size) }),
    width: t.exposeInt('width', { nullable: true }),
    height: t.exposeInt('height', { nullable: true }),
    duration: t.exposeInt('duration', { nullable: true }),
    status: t.exposeString('status'),
    metadata: t.expose('metadata', { type: 'JSON', nullable: true }),
    trashedAt: t.expose('trashedAt', { type: 'DateTime', nullable: true }),
    systemManaged: t.exposeBoolean('systemManaged'),
    user: t.relation('user', { nullable: true }),
    parentFile: t.relation('parent', { nullable: true }),
    instances: t.relation('instances', { query: { orderBy: instanceOrder } }),
    url: t.string({
      description: 'Token URL of a variant (default: the original). With expiresInSeconds the URL stops working then.',
      args: {
        variant: t.arg.string({ defaultValue: 'original' }),
        expiresInSeconds: t.arg.int({ description: '1 s to 1 year; omitted: no expiry.' }),
      },
      resolve: (file, { variant, expiresInSeconds }, ctx) => {
        if (!isUrlVariant(variant ?? 'original')) {
          throw new GraphQLError(
            `variant must be 1 to ${MAX_VARIANT_PATH_CHARS} characters once URL-encoded, without control characters, and not . or ..`,
            { extensions: { code: 'BAD_USER_INPUT' } },
          );
        }
        return ctx.services.fileUrls.url(file.uuid, variant ?? 'original', urlExpiresAt(expiresInSeconds));
      },
    }),
    copies: t.int({
      description: 'Readable stored copies of the original: active, in enabled buckets.',
      select: { instances: originalCopies },
      resolve: (file) => copiesOfOriginal(file.instances),
    }),
    underReplicated: t.boolean({
      description: 'Fewer readable copies of the original than setting storage_redundancy_copies asks for.',
      select: { instances: originalCopies },
      resolve: async (file, _args, ctx) => copiesOfOriginal(file.instances) < (await ctx.services.replication.target()),
    }),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  storageDimensions: t.withAuth({ viewer: true }).prismaConnection({
    type: 'StorageDimension',
    cursor: 'uuid',
    resolve: (query, _root, _args, ctx) =>
      ctx.db.storageDimension.findMany({ ...selectingSomething(query), relationLoadStrategy: 'join', orderBy: [{ order: 'asc' }, { uuid: 'asc' }] }),
  }),
  file: t.withAuth({ viewer: true }).prismaField({
    type: 'File',
    nullable: true,
    description: "One of the viewer's files (any file for admins); null when missing or not visible.",
    args: { uuid: t.arg({ type: 'UUID', required: true }) },
    resolve: (query, _root, { uuid }, ctx) =>
      ctx.db.file.findFirst({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: { uuid, systemManaged: false, ...(ctx.viewer.isAdmin ? {} : { userUuid: ctx.viewer.uuid }) },
      }),
  }),
  files: t.withAuth({ viewer: true }).prismaConnection({
    type: 'File',
    cursor: 'uuid',
    description: "The viewer's files, newest first. Admins see every user's and may filter by user.",
    args: {
      userUuid: t.arg({ type: 'UUID', description: 'One user\'s files: admins any user, others only themselves (FORBIDDEN otherwise).' }),
      fileType: t.arg.string({ description: 'image, video, audio, document, archive or other.' }),
      status: t.arg.string({ description: 'processing, active, failed or trashed (default: all but trashed).' }),
      search: t.arg.string({ description: 'Case-insensitive match on the original file name.' }),
    },
    resolve: (query, _root, args, ctx) => {
      checkOneOf('fileType', args.fileType, FILE_TYPES);
      checkOneOf('status', args.status, FILE_STATUSES);
      // another user's files are for admins: asking for them is refused, not answered with the viewer's own
      if (!ctx.viewer.isAdmin && args.userUuid != null && args.userUuid !== ctx.viewer.uuid) {
        throw new GraphQLError('Not allowed', { extensions: { code: 'FORBIDDEN' } });
      }
      return ctx.db.file.findMany({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: {
          systemManaged: false,
          userUuid: ctx.viewer.isAdmin ? (args.userUuid ?? undefined) : ctx.viewer.uuid,
          ...(args.fileType ? { fileType: args.fileType } : {}),
          status: args.status ?? { not: 'trashed' },
          ...(args.search
            ? { originalFileName: { contains: escapeLike(args.search.slice(0, 255)), mode: 'insensitive' as const } }
            : {}),
        },
        orderBy: { uuid: 'desc' },
      });
    },
  }),
}));
