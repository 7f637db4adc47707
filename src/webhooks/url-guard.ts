/**
 * Webhook URLs must reach only the public internet: an address in any special-purpose
 * range of RFC 6890 (and its IANA registries: loopback, private, shared, link-local,
 * documentation, benchmarking, protocol assignments, multicast, reserved…), or one of
 * this host's own interface addresses, is refused when the URL is saved and again at
 * every connection (the check runs in the socket's DNS lookup, so a name that later
 * resolves elsewhere cannot slip through). IPv6 forms that carry an IPv4 address
 * (IPv4-mapped, 6to4) are judged by that address.
 */
import dns from 'node:dns';
import net from 'node:net';
import os from 'node:os';

/** Special-purpose IPv4 ranges (RFC 6890 and the IANA IPv4 Special-Purpose Address Registry). */
const V4_RANGES: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // shared (carrier-grade NAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 (limited broadcast)
];

/** Special-purpose IPv6 ranges (RFC 6890 and the IANA IPv6 Special-Purpose Address Registry). */
const V6_RANGES: readonly (readonly [string, number])[] = [
  ['::', 96], // unspecified (::/128), loopback (::1/128) and the deprecated IPv4-compatible ::/96
  ['64:ff9b::', 96], // NAT64 well-known prefix
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID…)
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation (RFC 9637)
  ['5f00::', 16], // SRv6 SIDs
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const V4 = new net.BlockList();
for (const [addr, prefix] of V4_RANGES) V4.addSubnet(addr, prefix, 'ipv4');
const V6 = new net.BlockList();
for (const [addr, prefix] of V6_RANGES) V6.addSubnet(addr, prefix, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (a zone id dropped), or null when it is not one. */
function ipv6Groups(address: string): number[] | null {
  const bare = address.replace(/%.*$/, '');
  if (!net.isIPv6(bare)) return null;
  let text = bare.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16));
}

/** An IPv4-mapped address, `::ffff:a.b.c.d`: it is that IPv4 address. */
function isMapped(groups: number[]): boolean {
  return groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
}

/** The IPv4 address an IPv6 one carries (IPv4-mapped `::ffff:a.b.c.d`, 6to4 `2002:AABB:CCDD::/48`), if any. */
function embeddedIPv4(groups: number[]): string | null {
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (isMapped(groups)) return quad(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return quad(groups[1]!, groups[2]!);
  return null;
}

/** An IPv6 address's groups written out in full, a form BlockList and the interface set agree on. */
const written = (groups: number[]) => groups.map((g) => g.toString(16)).join(':');

/** This host's own addresses, every interface's, IPv4 as dotted quads and IPv6 written out (read at each check: interfaces come and go). */
function ownAddresses(): Set<string> {
  const own = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) {
      const groups = info.family === 'IPv6' ? ipv6Groups(info.address) : null;
      own.add(groups ? (isMapped(groups) ? embeddedIPv4(groups)! : written(groups)) : info.address);
    }
  }
  return own;
}

/**
 * Whether an address is one a webhook must not reach: in a special-purpose range, an IPv6
 * form of such an IPv4 address, one of this host's interface addresses, or not an IP
 * address at all.
 */
export function isPrivateAddress(address: string): boolean {
  if (net.isIPv4(address)) return V4.check(address, 'ipv4') || ownAddresses().has(address);
  const groups = ipv6Groups(address);
  if (!groups) return true;
  const v4 = embeddedIPv4(groups);
  if (v4 && isMapped(groups)) return isPrivateAddress(v4);
  if (v4 && isPrivateAddress(v4)) return true; // 6to4 of a special-purpose address
  const full = written(groups);
  return V6.check(full, 'ipv6') || ownAddresses().has(full);
}

export class PrivateAddressError extends Error {
  constructor(readonly address: string) {
    super(`the URL resolves to a private or loopback address (${address})`);
    this.name = 'PrivateAddressError';
  }
}

/**
 * What the delivery log says about a request that got no answer. The socket's own error
 * (`connect ECONNREFUSED 10.0.0.7:6379`, a TLS or DNS failure) is never shown: told
 * apart, they would say which ports of which hosts are open. The raw error stays the
 * `cause` of the job's error, for the operator's logs.
 */
export function deliveryFailureMessage(err: unknown, timeoutMs: number): string {
  if (err instanceof PrivateAddressError) return 'the URL resolves to a private or loopback address';
  if (err instanceof DeliveryTimeoutError) return `no answer within ${timeoutMs / 1000} s`;
  return 'could not connect to the endpoint, or the connection failed before an answer';
}

/** A delivery that got no whole answer in time. */
export class DeliveryTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs / 1000} s`);
    this.name = 'DeliveryTimeoutError';
  }
}

/** A dns.lookup for http.request that refuses private addresses unless allowed. */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return (callback as (e: Error) => void)(err);
      const list = addresses as dns.LookupAddress[];
      const bad = allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (bad) return (callback as (e: Error) => void)(new PrivateAddressError(bad.address));
      if ((options as dns.LookupOptions).all) return (callback as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      (callback as (e: null, a: string, f: number) => void)(null, first.address, first.family);
    });
  };
}

/** Every address `hostname` resolves to; an IP literal is itself. */
export async function resolveAll(hostname: string): Promise<string[]> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(bare)) return [bare];
  return (await dns.promises.lookup(bare, { all: true })).map((a) => a.address);
}
