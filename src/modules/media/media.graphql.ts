import { builder } from '../../graphql/builder.js';
import { NotFoundError } from '../../graphql/errors.js';

const RegenerateVariantsInput = builder.inputType('RegenerateVariantsInput', {
  fields: (t) => ({
    fileUuid: t.field({ type: 'UUID', description: 'One file; left out: every file that can have variants.' }),
  }),
});

const RegenerateVariantsPayload = builder.objectRef<{ queued: number }>('RegenerateVariantsPayload').implement({
  fields: (t) => ({ queued: t.exposeInt('queued', { description: 'Files queued for processing.' }) }),
});

builder.mutationField('regenerateVariants', (t) =>
  t.withAuth({ admin: true }).field({
    type: RegenerateVariantsPayload,
    description:
      'Processes files again with the current storage dimensions (after a preset change): new variants are made, changed ones ' +
      'replaced, those of removed presets deleted. Runs as file_processing jobs; follow them with fileProcessing.',
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: RegenerateVariantsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ queued: await ctx.services.media.regenerate(input.fileUuid) }),
  }),
);

builder.prismaObjectField('FileInstance', 'failureReason', (t) =>
  t.string({
    nullable: true,
    description: 'Why a failed variant could not be made (from the file\'s metadata.variant_errors).',
    select: { variantName: true, processingStatus: true, file: { select: { metadata: true } } },
    resolve: (instance) => {
      if (instance.processingStatus !== 'failed') return null;
      const errors = (instance.file.metadata as { variant_errors?: Record<string, unknown> } | null)?.variant_errors;
      const reason = errors?.[instance.variantName];
      return typeof reason === 'string' ? reason : null;
    },
  }),
);
