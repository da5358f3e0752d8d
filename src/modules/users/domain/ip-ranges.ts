import { isIP } from 'node:net';

export type GeoRange = { start: bigint; end: bigint; country: string | null; region: string | null; city: string | null };

/** An IPv4 or IPv6 address as a number (IPv4 in the IPv4-mapped IPv6 space, so both kinds share one ordering). */
export function ipToBigInt(ip: string): bigint | null {
  const kind = isIP(ip);
  if (kind === 4) {
    const v4 = ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
    return 0xffff_0000_0000n + v4;
  }
  if (kind !== 6) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return ipToBigInt(mapped[1]!);
  const [head = '', tail = ''] = ip.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...headParts, ...Array(8 - headParts.length - tailParts.length).fill('0'), ...tailParts]
    : headParts;
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

/** Sorts ranges by start for `findRange`; rejects overlapping ranges so a lookup has one answer. */
export function buildRangeIndex(ranges: GeoRange[]): GeoRange[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.start <= sorted[i - 1]!.end) throw new Error(`overlapping IP ranges at entry ${i + 1}`);
  }
  return sorted;
}

/** Binary search over a sorted, non-overlapping index. */
export function findRange(index: readonly GeoRange[], ip: string): GeoRange | null {
  const n = ipToBigInt(ip);
  if (n === null) return null;
  let lo = 0;
  let hi = index.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const range = index[mid]!;
    if (n < range.start) hi = mid - 1;
    else if (n > range.end) lo = mid + 1;
    else return range;
  }
  return null;
}
