import { builder } from '../../graphql/builder.js';
import { NotFoundError, ValidationError } from '../../graphql/errors.js';
import { reread, selectingSomething } from '../../graphql/query.js';

const dimensionFields = (t: PothosSchemaTypes.InputFieldBuilder<typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never, 'InputObject'>) => ({
  name: t.string({ description: '^[a-z0-9_]+$, 1–50 characters; not "original", not ending in _<format>.' }),
  appliesTo: t.string({ description: 'image, video or both.' }),
  width: t.int({ description: 'Required, > 0. With maintainAspectRatio the variant is this wide at most (never enlarged).' }),
  height: t.int({ description: 'Required when maintainAspectRatio is false (the variant is cropped to width×height).' }),
  quality: t.int({ description: '1–100; for video encodings the CRF, 0–51.' }),
  format: t.string({ description: 'image: jpg, jpeg, png, webp, gif; video: mp4, webm, avi, mov, or an image format for a frame.' }),
  enabled: t.boolean(),
  order: t.int({ description: '>= 0.' }),
  maintainAspectRatio: t.boolean(),
  alternativeFormats: t.stringList({ description: 'Extra variants <name>_<fmt> in jpg, jpeg, png, webp, avif, gif (images only).' }),
});

const CreateStorageDimensionInput = builder.inputType('CreateStorageDimensionInput', { fields: (t) => dimensionFields(t) });
const UpdateStorageDimensionInput = builder.inputType('UpdateStorageDimensionInput', {
  fields: (t) => ({ uuid: t.field({ type: 'UUID', required: true }), ...dimensionFields(t) }),
});
const DeleteStorageDimensionInput = builder.inputType('DeleteStorageDimensionInput', {
  fields: (t) => ({ uuid: t.field({ type: 'UUID', required: true }) }),
});

builder.mutationFields((t) => ({
  createStorageDimension: t.withAuth({ admin: true }).prismaField({
    type: 'StorageDimension',
    description: 'Adds a variant preset. Existing files get it when their variants are regenerated.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: CreateStorageDimensionInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const row = await ctx.services.dimensions.create(input);
      return reread('Dimension', ctx.db.storageDimension.findUnique({ ...selectingSomething(query), where: { uuid: row.uuid } }));
    },
  }),
  updateStorageDimension: t.withAuth({ admin: true }).prismaField({
    type: 'StorageDimension',
    description: 'Changes a preset (fields left out keep their value); call regenerateVariants to apply it to stored files.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: UpdateStorageDimensionInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const { uuid, ...changes } = input;
      const row = await ctx.services.dimensions.update(uuid, changes);
      return reread('Dimension', ctx.db.storageDimension.findUnique({ ...selectingSomething(query), where: { uuid: row.uuid } }));
    },
  }),
  deleteStorageDimension: t.withAuth({ admin: true }).field({
    type: 'UUID',
    description: "Deletes a preset; files keep its variants until they are regenerated.",
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: DeleteStorageDimensionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => (await ctx.services.dimensions.remove(input.uuid)).uuid,
  }),
  resetStorageDimensions: t.withAuth({ admin: true }).prismaField({
    type: ['StorageDimension'],
    description: 'Replaces every preset with the 8 defaults (thumbnail, small, medium, large, 360p, 720p, 1080p, video_thumbnail).',
    resolve: async (query, _root, _args, ctx) => {
      await ctx.services.dimensions.reset();
      return ctx.db.storageDimension.findMany({ ...selectingSomething(query), orderBy: [{ order: 'asc' }, { uuid: 'asc' }] });
    },
  }),
}));
