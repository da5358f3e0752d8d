import { builder } from '../../graphql/builder.js';
import type { Context } from '../../graphql/context.js';
import { ErrorInterface, exposeError } from '../../graphql/error-types.js';
import { NotFoundError } from '../../graphql/errors.js';
import { reread, selectingSomething } from '../../graphql/query.js';
import type { RepairReport } from './replication.service.js';
import type { SweepReport } from './storage-sweep.service.js';
import { BucketUnavailableError, FileInUseError, FileTooLargeError, InvalidUploadError, UploadConflictError } from './file.errors.js';

exposeError(InvalidUploadError);
exposeError(BucketUnavailableError);
exposeError(UploadConflictError);
builder.objectType(FileTooLargeError, {
  name: 'FileTooLargeError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof FileTooLargeError,
  fields: (t) => ({ maxBytes: t.float({ resolve: (e) => e.maxBytes }) }),
});
builder.objectType(FileInUseError, {
  name: 'FileInUseError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof FileInUseError,
  fields: (t) => ({ references: t.exposeInt('references') }),
});

type UploadPayloadShape = { fileUuid: string; duplicate: boolean };

const UploadFilePayload = builder.objectRef<UploadPayloadShape>('UploadFilePayload').implement({
  fields: (t) => ({
    file: t.prismaField({
      type: 'File',
      resolve: (query, payload, _args, ctx) =>
        reread('File', ctx.db.file.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid: payload.fileUuid } })),
    }),
    duplicate: t.exposeBoolean('duplicate', {
      description: 'True when the viewer already had these exact bytes: the existing file is returned, nothing is stored.',
    }),
  }),
});

const UploadFileInput = builder.inputType('UploadFileInput', {
  fields: (t) => ({ file: t.field({ type: 'Upload', required: true }) }),
});

const FileRefInput = builder.inputType('FileRefInput', {
  fields: (t) => ({ uuid: t.field({ type: 'UUID', required: true }) }),
});

const RepairReportRef = builder.objectRef<RepairReport>('RepairReport').implement({
  fields: (t) => ({
    checked: t.exposeInt('checked', { description: 'Short objects the repair took on: those with a readable copy to copy from.' }),
    copiesAdded: t.exposeInt('copiesAdded'),
    stillUnderReplicated: t.exposeInt('stillUnderReplicated'),
  }),
});

const SweepReportRef = builder.objectRef<SweepReport>('SweepReport').implement({
  fields: (t) => ({
    buckets: t.exposeInt('buckets', { description: 'Buckets looked at (enabled or not).' }),
    unreachable: t.exposeInt('unreachable', { description: 'Buckets that could not be listed; swept next time.' }),
    shared: t.exposeInt('shared', { description: "Buckets left alone: their storage overlaps another bucket's." }),
    scanned: t.exposeInt('scanned', { description: 'Objects listed.' }),
    removed: t.exposeInt('removed', { description: 'Objects no row pointed at, removed.' }),
  }),
});

const StorageHealth = builder.objectRef<{ target: number; count: number; underReplicated: string[] }>('StorageHealth').implement({
  fields: (t) => ({
    redundancyTarget: t.exposeInt('target', { description: 'Copies asked for (setting storage_redundancy_copies).' }),
    underReplicatedCount: t.int({
      description: 'Files with an object (the original, a variant, a tile) below the target in readable copies (active, in enabled buckets).',
      resolve: (h) => h.count,
    }),
    underReplicatedFiles: t.prismaField({
      type: ['File'],
      description: 'The first 100 of those files by uuid.',
      resolve: (query, h, _args, ctx) =>
        ctx.db.file.findMany({
          ...selectingSomething(query),
          relationLoadStrategy: 'join',
          where: { uuid: { in: h.underReplicated.slice(0, 100) } },
          orderBy: { uuid: 'asc' },
        }),
    }),
  }),
});

builder.queryFields((t) => ({
  storageHealth: t.withAuth({ admin: true }).field({
    type: StorageHealth,
    resolve: async (_root, _args, ctx) => {
      const [target, short] = await Promise.all([ctx.services.replication.target(), ctx.services.replication.underReplicatedFiles()]);
      return { target, count: short.count, underReplicated: short.fileUuids };
    },
  }),
}));

/** The changed file as the query asks for it; deleted since the change, it is a missing file. */
async function reloadFile<Q extends object>(ctx: Context, query: Q, uuid: string) {
  const file = await ctx.db.file.findUnique({ ...selectingSomething(query), relationLoadStrategy: 'join', where: { uuid } });
  if (!file) throw new NotFoundError('File');
  return file;
}

builder.mutationFields((t) => ({
  uploadFile: t.withAuth({ viewer: true }).field({
    type: UploadFilePayload,
    description: 'Stores a file sent as a GraphQL multipart request (field `input.file`).',
    errors: { types: [FileTooLargeError, BucketUnavailableError, InvalidUploadError, UploadConflictError] },
    args: { input: t.arg({ type: UploadFileInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const upload = await input.file.catch((error: unknown) => {
        // the multipart parser's words ("File missing in the request.", "Malformed part header") name nothing of the server
        throw new InvalidUploadError(`The request carries no readable file part for input.file: ${(error as Error).message}`);
      });
      const sizeHint = Number(ctx.request.headers.get('content-length') ?? 0) || 0;
      const { file, duplicate } = await ctx.services.files.upload(ctx.viewer, upload, sizeHint);
      return { fileUuid: file.uuid, duplicate };
    },
  }),
  trashFile: t.withAuth({ viewer: true }).prismaField({
    type: 'File',
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: FileRefInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const file = await ctx.services.files.trash(ctx.viewer, input.uuid);
      return reloadFile(ctx, query, file.uuid);
    },
  }),
  restoreFile: t.withAuth({ viewer: true }).prismaField({
    type: 'File',
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: FileRefInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const file = await ctx.services.files.restore(ctx.viewer, input.uuid);
      return reloadFile(ctx, query, file.uuid);
    },
  }),
  deleteFile: t.withAuth({ viewer: true }).field({
    type: 'UUID',
    description: 'Deletes a file for good (its variants and tiles too); returns its uuid.',
    errors: { types: [NotFoundError, FileInUseError] },
    args: { input: t.arg({ type: FileRefInput, required: true }) },
    resolve: async (_root, { input }, ctx) => (await ctx.services.files.remove(ctx.viewer, input.uuid)).uuid,
  }),
  repairStorage: t.withAuth({ admin: true }).field({
    type: RepairReportRef,
    description: 'Copies under-replicated objects back up to the redundancy target on the buckets that are up.',
    resolve: (_root, _args, ctx) => ctx.services.replication.repair(),
  }),
  sweepStorage: t.withAuth({ admin: true }).field({
    type: SweepReportRef,
    description: 'Removes stored bytes that no file points at and that are older than a day (a daily job does the same).',
    resolve: (_root, _args, ctx) => ctx.services.storageSweep.sweep(),
  }),
}));
