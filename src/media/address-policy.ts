/**
 * Which IP addresses a user-supplied URL may reach. The bot runs next to other
 * services (a cloud metadata endpoint at 169.254.169.254, databases on private
 * subnets, the bot's own HTTP server on loopback), so a link to any of them
 * must never be fetched on a user's behalf (SSRF).
 *
 * IPv4: allowed unless in a special-purpose range (RFC 6890 and successors).
 * IPv6: allowed only inside global unicast 2000::/3, minus the ranges in it
 * that embed or translate IPv4 (a NAT64 or 6to4 address can lead back to a
 * private IPv4 host) or are reserved. IPv4-mapped (::ffff:a.b.c.d) and
 * IPv4-compatible (::a.b.c.d) forms fall outside 2000::/3 and are refused.
 */
import { isIP } from 'node:net';

/** [network, prefix length] pairs of IPv4 space that is never a public host. */
const BLOCKED_IPV4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT (shared address space)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, including the 169.254.169.254 metadata service
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
];

/** Ranges inside 2000::/3 that are refused anyway, as [first hextets, prefix length]. */
const BLOCKED_IPV6_GLOBAL: ReadonlyArray<readonly [number[], number]> = [
  [[0x2001, 0x0000], 32], // Teredo: tunnels to an IPv4 address
  [[0x2001, 0x0002, 0x0000], 48], // benchmarking
  [[0x2001, 0x0db8], 32], // documentation
  [[0x3fff], 20], // documentation (RFC 9637)
];

function ipv4ToInt(address: string): number {
  const parts = address.split('.').map(Number);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function inIpv4Range(value: number, network: string, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (value & mask) >>> 0 === (ipv4ToInt(network) & mask) >>> 0;
}

export function isPublicIpv4(address: string): boolean {
  const value = ipv4ToInt(address);
  return !BLOCKED_IPV4.some(([network, prefix]) => inIpv4Range(value, network, prefix));
}

/** Eight 16-bit groups; accepts `::` compression, a trailing dotted quad and a `%zone`. */
export function parseIpv6(address: string): number[] | undefined {
  const bare = address.replace(/^\[|\]$/g, '').split('%')[0]!;
  if (isIP(bare) !== 6) return undefined;
  let text = bare;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToInt(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  if (groups.length !== 8) return undefined;
  return groups.map((g) => Number.parseInt(g, 16));
}

function hasPrefix(groups: number[], prefixGroups: number[], prefixBits: number): boolean {
  let bits = prefixBits;
  for (let i = 0; bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if (((groups[i] ?? 0) & mask) !== ((prefixGroups[i] ?? 0) & mask)) return false;
  }
  return true;
}

export function isPublicIpv6(address: string): boolean {
  const groups = parseIpv6(address);
  if (!groups) return false;
  // Global unicast is 2000::/3. This one rule excludes ::, ::1, IPv4-mapped
  // ::ffff:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48,
  // discard 100::/64, ULA fc00::/7, link-local fe80::/10 and multicast ff00::/8.
  if (!hasPrefix(groups, [0x2000], 3)) return false;
  if (BLOCKED_IPV6_GLOBAL.some(([prefix, bits]) => hasPrefix(groups, prefix, bits))) return false;
  // 6to4 (2002::/16) carries an IPv4 address in groups 1–2; it is as public as that address.
  if (groups[0] === 0x2002) {
    const v4 = `${groups[1]! >> 8}.${groups[1]! & 0xff}.${groups[2]! >> 8}.${groups[2]! & 0xff}`;
    return isPublicIpv4(v4);
  }
  return true;
}

/** True when the bot may connect to this address on a user's behalf. */
export function isPublicAddress(address: string): boolean {
  switch (isIP(address.replace(/^\[|\]$/g, '').split('%')[0]!)) {
    case 4:
      return isPublicIpv4(address);
    case 6:
      return isPublicIpv6(address);
    default:
      return false;
  }
}
