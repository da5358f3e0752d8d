// PostgreSQL text and jsonb cannot hold NUL, and a lone surrogate is not text (it would be stored altered)
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string can be stored in text/jsonb columns as it is (no NUL, no unpaired surrogate). */
export const isStorableText = (value: string): boolean => !UNSTORABLE.test(value);

/** Text for a LIKE pattern (Prisma's `contains`): the user's `%`, `_` and `\` match themselves. */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);
