import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, redact: ['req.headers.authorization', 'req.headers.cookie'] });
}

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * Yoga's log calls (a message or an error first, details after) in pino's form: an error under `err`, where pino's
 * serializer keeps its type, message and stack (handed over as an array, pino wrote `{"0":{}}`).
 */
export function yogaLogger(log: Logger): Record<Level, (...args: unknown[]) => void> {
  const at =
    (level: Level) =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      // the first error anywhere goes under `err` (pino serializes it there, not inside an array)
      const err = [first, ...rest].find((a): a is Error => a instanceof Error);
      const others = rest.filter((a) => a !== err);
      const fields = { ...(err ? { err } : {}), ...(others.length > 0 ? { details: others } : {}) };
      if (first instanceof Error) log[level](fields, first.message);
      else if (typeof first === 'string') log[level](fields, first);
      else log[level]({ value: first, ...fields }, 'yoga');
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
