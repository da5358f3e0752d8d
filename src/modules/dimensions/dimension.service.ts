import type { Db } from '../../db/database.js';
import { NotFoundError, ValidationError } from '../../graphql/errors.js';
import type { StorageDimension } from '../../generated/prisma/client.js';
import type { Logger } from '../../logger.js';
import { DEFAULT_DIMENSIONS, type DimensionValues } from './domain/default-dimensions.js';
import { validateDimension, type DimensionInput } from './domain/validate-dimension.js';

const nameTaken = () => new ValidationError('Dimension input is invalid', [{ path: 'name', message: 'is already taken' }]);
const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === 'P2002';

const valuesOf = (row: StorageDimension): DimensionValues => ({
  name: row.name,
  appliesTo: row.appliesTo as DimensionValues['appliesTo'],
  width: row.width ?? 0,
  height: row.height,
  quality: row.quality,
  format: row.format,
  enabled: row.enabled,
  order: row.order,
  maintainAspectRatio: row.maintainAspectRatio,
  alternativeFormats: row.alternativeFormats,
});

/** Storage dimensions (variant presets): validated CRUD and the reset to the 8 defaults. */
export function createDimensionService({ db, log }: { db: Db; log: Logger }) {
  async function assertNameFree(name: string, except?: string) {
    const other = await db.storageDimension.findUnique({ where: { name }, select: { uuid: true } });
    if (other && other.uuid !== except) throw nameTaken();
  }

  return {
    async create(input: DimensionInput): Promise<StorageDimension> {
      const { issues, values } = validateDimension(input, null);
      if (issues.length > 0) throw new ValidationError('Dimension input is invalid', issues);
      await assertNameFree(values.name);
      try {
        const row = await db.storageDimension.create({ data: values });
        log.info({ dimension: row.name }, 'storage dimension created');
        return row;
      } catch (error) {
        if (isUniqueViolation(error)) throw nameTaken();
        throw error;
      }
    },

    async update(uuid: string, input: DimensionInput): Promise<StorageDimension> {
      const existing = await db.storageDimension.findUnique({ where: { uuid } });
      if (!existing) throw new NotFoundError('Dimension');
      const { issues, values } = validateDimension(input, valuesOf(existing));
      if (issues.length > 0) throw new ValidationError('Dimension input is invalid', issues);
      await assertNameFree(values.name, uuid);
      try {
        return await db.storageDimension.update({ where: { uuid }, data: values });
      } catch (error) {
        if (isUniqueViolation(error)) throw nameTaken();
        if ((error as { code?: string }).code === 'P2025') throw new NotFoundError('Dimension');
        throw error;
      }
    },

    /** Deletes the preset; existing variants stay until the files are processed again (`regenerateVariants`). */
    async remove(uuid: string): Promise<StorageDimension> {
      try {
        return await db.storageDimension.delete({ where: { uuid } });
      } catch (error) {
        if ((error as { code?: string }).code === 'P2025') throw new NotFoundError('Dimension');
        throw error;
      }
    },

    /** Replaces every dimension with the 8 defaults in one transaction (reference `reset_dimensions_to_defaults`). */
    async reset(): Promise<StorageDimension[]> {
      const rows = await db.$transaction(async (tx) => {
        await tx.storageDimension.deleteMany({});
        await tx.storageDimension.createMany({ data: DEFAULT_DIMENSIONS.map((d) => ({ ...d, alternativeFormats: [...d.alternativeFormats] })) });
        return tx.storageDimension.findMany({ orderBy: [{ order: 'asc' }, { uuid: 'asc' }] });
      });
      log.info('storage dimensions reset to the defaults');
      return rows;
    },
  };
}

export type DimensionService = ReturnType<typeof createDimensionService>;
