/** A UUID's text form in lower-case hex, as a regex source: file and tile URLs carry it so. */
export const UUID_SOURCE = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const UUID = new RegExp(`^${UUID_SOURCE}$`, 'i');

/** Whether `value` is a UUID in its text form, in either case. */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);
