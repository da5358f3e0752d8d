import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import type { GeoLocation } from '../auth/auth.service.js';
import { buildRangeIndex, findRange, ipToBigInt, type GeoRange } from './domain/ip-ranges.js';

export type GeoLookup = { lookup(ip: string): Promise<GeoLocation | null> };

const COUNTRY = /^[A-Z]{2}$/;

/**
 * Local IP-range geolocation from a CSV with a header row `start_ip,end_ip,country,region,city` (country as ISO
 * 3166-1 alpha-2). Loaded once, on first use; a broken file makes lookups fail (registration goes on without them).
 */
export function createCsvGeoLookup(path: string): GeoLookup {
  let index: Promise<GeoRange[]> | undefined;
  const load = async () => {
    const rows = parse(await readFile(path, 'utf8'), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
    return buildRangeIndex(
      rows.map((row, i) => {
        const start = ipToBigInt(row.start_ip ?? '');
        const end = ipToBigInt(row.end_ip ?? '');
        const country = (row.country ?? '').toUpperCase() || null;
        if (start === null || end === null || start > end) throw new Error(`${path}: bad range on line ${i + 2}`);
        if (country !== null && !COUNTRY.test(country)) throw new Error(`${path}: country must be alpha-2 on line ${i + 2}`);
        return { start, end, country, region: row.region?.slice(0, 100) || null, city: row.city?.slice(0, 100) || null };
      }),
    );
  };
  return {
    async lookup(ip) {
      index ??= load();
      const found = findRange(await index, ip);
      return found ? { country: found.country, region: found.region, city: found.city } : null;
    },
  };
}
