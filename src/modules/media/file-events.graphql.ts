import { GraphQLError } from 'graphql';
import { builder } from '../../graphql/builder.js';
import { NotFoundError } from '../../graphql/errors.js';
import { fileProcessingStream, type FileProgressEvent } from './file-events-stream.js';

const FileProcessingEventRef = builder.objectRef<FileProgressEvent>('FileProcessingEvent').implement({
  description: "A change of a file's or one variant's processing status.",
  fields: (t) => ({
    fileUuid: t.expose('fileUuid', { type: 'UUID' }),
    variant: t.exposeString('variant', { nullable: true, description: 'The variant (e.g. "thumbnail"); null for the file as a whole.' }),
    status: t.exposeString('status', {
      description: 'Variants: pending, processing, completed, failed. The file: processing, active, failed (or trashed).',
    }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why it failed, when it did.' }),
    at: t.field({ type: 'DateTime', resolve: (event) => new Date(event.at) }),
    final: t.exposeBoolean('final', {
      description: 'The file is done (active or failed) and no run of it is queued: the last event of the subscription.',
    }),
  }),
});

builder.subscriptionField('fileProcessing', (t) =>
  t.withAuth({ viewer: true }).field({
    type: FileProcessingEventRef,
    description:
      "Processing progress of a file the viewer can see (over server-sent events): its current state first (each " +
      'variant, then the file), then every status change as it happens in any server or worker process, until the ' +
      'file is active or failed; then the subscription completes.',
    args: { fileUuid: t.arg({ type: 'UUID', required: true }) },
    subscribe: async (_root, { fileUuid }, ctx) => {
      if (!ctx.viewer) throw new GraphQLError('Sign in required', { extensions: { code: 'UNAUTHENTICATED' } });
      try {
        await ctx.services.files.visibleFile(ctx.viewer, fileUuid);
      } catch (error) {
        if (error instanceof NotFoundError) throw new GraphQLError('File not found', { extensions: { code: 'NOT_FOUND' } });
        throw error;
      }
      return fileProcessingStream({
        db: ctx.db,
        events: ctx.services.fileEvents,
        fileUuid,
        queued: ctx.services.media.queued,
        signal: ctx.request.signal,
      });
    },
    resolve: (event) => event,
  }),
);
