import { isIPv4, isIPv6 } from 'node:net';

/**
 * One spelling per client address: `1.2.3.4:5678` and `[2001:db8::1]:443` lose their port, IPv6 is compressed and
 * lower-cased (`2001:0DB8:0:0::1` → `2001:db8::1`), its zone dropped, and an IPv4-mapped address (`::FFFF:1.2.3.4`,
 * `::ffff:102:304`) is the IPv4 one. Anything else is not an address: null.
 */
export function canonicalIp(raw: string): string | null {
  let text = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  else if (/^[\d.]+:\d{1,5}$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  text = text.split('%')[0]!; // an IPv6 zone (fe80::1%eth0) names an interface of the sender, not the sender
  if (isIPv4(text)) return text;
  if (!isIPv6(text)) return null;
  const compressed = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (!mapped) return compressed;
  const [high, low] = [Number.parseInt(mapped[1]!, 16), Number.parseInt(mapped[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/**
 * What a per-IP limit counts: an IPv4 address, or an IPv6 address's /64 network (one home or host is handed a whole
 * /64, so counting single IPv6 addresses would let it pass any limit). `ip` is canonical (`canonicalIp`).
 */
export function ipLimitSubject(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).join(':')}::/64`;
}
