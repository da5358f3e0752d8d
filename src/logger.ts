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
      const details = rest.length > 0 ? { details: rest } : {};
      if (first instanceof Error) log[level]({ err: first, ...details }, first.message);
      else if (typeof first === 'string') log[level](details, first);
      else log[level]({ value: first, ...details }, 'yoga');
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
