import { Prisma } from '../../generated/prisma/client.js';
import { builder } from '../../graphql/builder.js';
import { ErrorInterface, exposeError } from '../../graphql/error-types.js';
import { NotFoundError, ValidationError } from '../../graphql/errors.js';
import { reread, selectingSomething } from '../../graphql/query.js';
import type { Context } from '../../graphql/context.js';
import type { BucketHealth } from './bucket.service.js';
import type { DrainReport } from './replication.service.js';
import { BucketBusyError, BucketInUseError } from './file.errors.js';

exposeError(BucketBusyError);

builder.objectType(BucketInUseError, {
  name: 'BucketInUseError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof BucketInUseError,
  fields: (t) => ({ copies: t.exposeInt('copies') }),
});

/** Bucket usage is one aggregate per request, shared by every Bucket in the response. */
const usageByRequest = new WeakMap<Context, Promise<Map<string, number>>>();
function usageFor(ctx: Context) {
  let usage = usageByRequest.get(ctx);
  if (!usage) {
    usage = ctx.services.buckets.usage();
    usageByRequest.set(ctx, usage);
  }
  return usage;
}

const BucketStatus = builder.objectRef<BucketHealth>('BucketStatus').implement({
  fields: (t) => ({
    reachable: t.boolean({ resolve: (h) => h.ok }),
    reason: t.string({ nullable: true, resolve: (h) => (h.ok ? null : h.reason) }),
  }),
});

const MiB = 1024 * 1024;

/** Every column: what opening the bucket's driver (health check) needs. */
const ALL_BUCKET_COLUMNS = Object.fromEntries(Object.values(Prisma.BucketScalarFieldEnum).map((column) => [column, true])) as Record<
  Prisma.BucketScalarFieldEnum,
  true
>;

/**
 * Anyone who may see a file sees which bucket holds it by `uuid` and `name`; every other field (connection, credentials
 * id, usage, health) is for admins (FORBIDDEN otherwise).
 */
builder.prismaNode('Bucket', {
  id: { field: 'uuid' },
  select: { uuid: true, name: true },
  fields: (t) => {
    const admin = t.withAuth({ admin: true });
    return {
      uuid: t.field({ type: 'UUID', resolve: (b) => b.uuid }),
      name: t.string({ resolve: (b) => b.name }),
      provider: admin.exposeString('provider'),
      region: admin.exposeString('region', { nullable: true }),
      endpoint: admin.exposeString('endpoint', { nullable: true }),
      bucketName: admin.exposeString('bucketName', { nullable: true }),
      forcePathStyle: admin.exposeBoolean('forcePathStyle', {
        description: 'S3-compatible addressing: endpoint/bucket/key when true, bucket.endpoint/key (virtual-hosted) when false.',
      }),
      accessKeyId: admin.exposeString('accessKeyId', { nullable: true }),
      hasSecretAccessKey: admin.boolean({
        description: 'Whether a secret key is stored (it is encrypted and never returned).',
        select: { secretAccessKey: true },
        resolve: (b) => Boolean(b.secretAccessKey),
      }),
      cdnUrl: admin.exposeString('cdnUrl', { nullable: true }),
      pathPrefix: admin.exposeString('pathPrefix', { nullable: true }),
      enabled: admin.exposeBoolean('enabled'),
      priority: admin.exposeInt('priority'),
      maxSizeMb: admin.float({
        nullable: true,
        select: { maxSizeMb: true },
        resolve: (b) => (b.maxSizeMb === null ? null : Number(b.maxSizeMb)),
      }),
      accessType: admin.exposeString('accessType'),
      usedBytes: admin.float({ resolve: async (b, _args, ctx) => (await usageFor(ctx)).get(b.uuid) ?? 0 }),
      freeBytes: admin.float({
        nullable: true,
        description: 'Null when the bucket has no size limit.',
        select: { maxSizeMb: true },
        resolve: async (b, _args, ctx) =>
          b.maxSizeMb === null ? null : Math.max(0, Number(b.maxSizeMb) * MiB - ((await usageFor(ctx)).get(b.uuid) ?? 0)),
      }),
      status: admin.field({
        type: BucketStatus,
        description: 'Whether the storage answers right now (checked on request; an unreachable bucket is reported, not fatal).',
        select: ALL_BUCKET_COLUMNS,
        resolve: (b, _args, ctx) => ctx.services.buckets.health(b),
      }),
      insertedAt: admin.expose('insertedAt', { type: 'DateTime' }),
      updatedAt: admin.expose('updatedAt', { type: 'DateTime' }),
    };
  },
});

const bucketFields = (t: PothosSchemaTypes.InputFieldBuilder<typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never, 'InputObject'>) => ({
  name: t.string(),
  provider: t.string({ description: 'local, s3, b2 or r2 (the last three through the S3-compatible driver).' }),
  region: t.string(),
  endpoint: t.string({ description: 'S3-compatible endpoint URL; for local buckets the directory.' }),
  bucketName: t.string(),
  accessKeyId: t.string(),
  secretAccessKey: t.string({ description: 'Write-only; stored encrypted (AES-256-GCM).' }),
  cdnUrl: t.string(),
  pathPrefix: t.string(),
  enabled: t.boolean(),
  priority: t.int({ description: '0: automatic (emptiest first); > 0: fixed order, lowest first.' }),
  maxSizeMb: t.float(),
  accessType: t.string({ description: 'public, private or signed (signed S3 buckets redirect to presigned URLs).' }),
  forcePathStyle: t.boolean({
    description: 'S3-compatible buckets: path-style addressing. Default on create: true with an endpoint, false without (AWS).',
  }),
});

const CreateBucketInput = builder.inputType('CreateBucketInput', { fields: (t) => bucketFields(t) });
const UpdateBucketInput = builder.inputType('UpdateBucketInput', {
  fields: (t) => ({ uuid: t.field({ type: 'UUID', required: true }), ...bucketFields(t) }),
});
const DeleteBucketInput = builder.inputType('DeleteBucketInput', {
  fields: (t) => ({ uuid: t.field({ type: 'UUID', required: true }) }),
});

const DrainBucketInput = builder.inputType('DrainBucketInput', {
  fields: (t) => ({ uuid: t.field({ type: 'UUID', required: true }) }),
});

const DrainReportRef = builder.objectRef<DrainReport>('DrainReport').implement({
  fields: (t) => ({
    copiesAdded: t.exposeInt('copiesAdded', { description: 'Copies the repair before the drain wrote to enabled buckets.' }),
    removed: t.exposeInt('removed', { description: 'Copies removed from the bucket.' }),
    remaining: t.exposeInt('remaining', {
      description: 'Copies still in the bucket: their bytes are short of readable copies elsewhere (no room, buckets down).',
    }),
  }),
});

builder.queryFields((t) => ({
  buckets: t.withAuth({ admin: true }).prismaConnection({
    type: 'Bucket',
    cursor: 'uuid',
    resolve: (query, _root, _args, ctx) =>
      ctx.db.bucket.findMany({ ...selectingSomething(query), orderBy: [{ priority: 'asc' }, { uuid: 'asc' }] }),
  }),
}));

builder.mutationFields((t) => ({
  createBucket: t.withAuth({ admin: true }).prismaField({
    type: 'Bucket',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: CreateBucketInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const bucket = await ctx.services.buckets.create(input);
      return reread('Bucket', ctx.db.bucket.findUnique({ ...selectingSomething(query), where: { uuid: bucket.uuid } }));
    },
  }),
  updateBucket: t.withAuth({ admin: true }).prismaField({
    type: 'Bucket',
    description: 'Provider, endpoint, region, bucket name, path prefix and path style only change while the bucket is empty.',
    errors: { types: [ValidationError, NotFoundError, BucketInUseError, BucketBusyError] },
    args: { input: t.arg({ type: UpdateBucketInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const { uuid, ...changes } = input;
      const bucket = await ctx.services.buckets.update(uuid, changes);
      return reread('Bucket', ctx.db.bucket.findUnique({ ...selectingSomething(query), where: { uuid: bucket.uuid } }));
    },
  }),
  deleteBucket: t.withAuth({ admin: true }).field({
    type: 'UUID',
    description: 'Deletes an empty bucket; one still holding copies is refused (disable it, and drainBucket empties it).',
    errors: { types: [NotFoundError, BucketInUseError, BucketBusyError] },
    args: { input: t.arg({ type: DeleteBucketInput, required: true }) },
    resolve: async (_root, { input }, ctx) => (await ctx.services.buckets.remove(input.uuid)).uuid,
  }),
  drainBucket: t.withAuth({ admin: true }).field({
    type: DrainReportRef,
    description:
      'Empties a disabled bucket so it can be deleted: repairs what is short elsewhere, then removes each copy in the ' +
      'bucket whose bytes have storage_redundancy_copies readable copies elsewhere. Run it again for what remains.',
    errors: { types: [NotFoundError, ValidationError] },
    args: { input: t.arg({ type: DrainBucketInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.replication.drain(input.uuid),
  }),
}));
