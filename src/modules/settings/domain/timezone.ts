// "+05:45", "-3", "5.5", "0": hours -12..+14 with minutes or a decimal fraction (the reference's time_zone setting)
const OFFSET = /^([+-])?(\d{1,2})(?::([0-5]\d)|\.(\d{1,2}))?$/;
const IANA_NAME = /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/;

export const FALLBACK_TIMEZONE = 'UTC';

function normalizeOffset(match: RegExpExecArray): string | null {
  const [, sign, hours, minutes, fraction] = match;
  const fractionMinutes = fraction ? Math.round(Number(`0.${fraction}`) * 60) : 0;
  const total = Number(hours) * 60 + (minutes ? Number(minutes) : fractionMinutes);
  const signed = sign === '-' ? -total : total;
  if (signed < -12 * 60 || signed > 14 * 60) return null;
  if (signed === 0) return FALLBACK_TIMEZONE;
  const abs = Math.abs(signed);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${signed < 0 ? '-' : '+'}${hh}:${mm}`;
}

/**
 * One spelling per zone, so clients need a single parser: an IANA name ("Europe/Tallinn"),
 * a UTC offset as "±HH:MM", or "UTC" for a zero offset. Null when the value is neither (or out of -12..+14).
 */
export function normalizeTimezone(value: string | null | undefined): string | null {
  const text = value?.trim();
  if (!text) return null;
  const offset = OFFSET.exec(text);
  if (offset) return normalizeOffset(offset);
  if (text.length > 64 || !IANA_NAME.test(text)) return null;
  try {
    // the runtime's spelling fixes the case ("europe/tallinn"); its aliases (Buenos_Aires) vary by ICU version, so keep the name
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === text.toLowerCase() ? resolved : text;
  } catch {
    return null;
  }
}

/** The zone to show a user's times in: their own, else the site's `time_zone` setting, else UTC (reference §5.4). */
export function effectiveTimezone(userTimezone: string | null | undefined, siteTimeZone: string | null | undefined): string {
  return normalizeTimezone(userTimezone) ?? normalizeTimezone(siteTimeZone) ?? FALLBACK_TIMEZONE;
}
