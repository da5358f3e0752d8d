import { createHash } from 'node:crypto';

/** What `statementNames` gives a statement: its prepared-statement name, or '' to run it unnamed. */
export type StatementNamer = (text: string, parameterCount: number) => string;

/**
 * Names for server-side prepared statements, by statement text: PostgreSQL parses and plans a named statement once per
 * connection instead of on every execution (a fifth to a third of the database's CPU on the file listing and on an
 * upload). Only statements with parameters get a name: one without may hold several statements (pg-boss's schema,
 * migrations), which a prepared statement cannot. At most `limit` texts are named, since each connection keeps every
 * statement it prepared; later ones run unnamed.
 */
export function statementNames(limit = 500): StatementNamer {
  const names = new Map<string, string>();
  return (text, parameterCount) => {
    if (parameterCount === 0) return '';
    let name = names.get(text);
    if (name === undefined) {
      if (names.size >= limit) return '';
      name = `pk_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    return name;
  };
}
