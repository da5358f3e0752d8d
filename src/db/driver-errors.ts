/** What Prisma reports of a database failure: its own code, and through the driver adapter the database's. */
type DriverError = { code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } } };

/** The SQLSTATE of a statement's failure, where the driver adapter reports it. */
export const driverErrorCode = (error: unknown): string | undefined => (error as DriverError).meta?.driverAdapterError?.cause?.originalCode;

/** `NOWAIT` found a row locked. */
export const LOCK_NOT_AVAILABLE = '55P03';

/** A foreign key violated by a statement (Prisma reports a raw statement's through the driver adapter's error). */
export function isForeignKeyViolation(error: unknown): boolean {
  const known = error as DriverError;
  return known.code === 'P2003' || known.meta?.driverAdapterError?.cause?.kind === 'ForeignKeyConstraintViolation';
}
