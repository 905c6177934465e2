// The address guard: webhooks must not become a way for a rules file to make the server call its
// own network (a database, an admin port, another service on the host) or a cloud metadata address
// (169.254.169.254). Only http(s) URLs are sent to; every address a host name resolves to is
// checked when connecting (a `lookup` for http.request that checks each resolved address, so a
// DNS answer that changes after a reload, or a rebinding answer, is caught), and a literal IP in
// the URL is checked the same way before connecting. Refused unless DISCOUNTS_WEBHOOKS_ALLOW lists
// them (comma-separated CIDRs and host names): loopback, private (RFC 1918), link-local, carrier-
// grade NAT (100.64.0.0/10), unique-local (fc00::/7), unspecified, multicast, broadcast, the
// reserved and documentation ranges, and IPv6 forms that carry an IPv4 address (IPv4-mapped,
// NAT64, 6to4, Teredo); in short, everything ipaddr.js does not class as global unicast.

import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface AllowList {
  cidrs: readonly [Address, number][];
  /** Lower-case host names whose addresses are not checked. */
  hosts: ReadonlySet<string>;
  /** The list as written, for messages and logs. */
  text: string;
}

export const EMPTY_ALLOW: AllowList = Object.freeze({ cidrs: [], hosts: new Set<string>(), text: '' });

export class AllowListError extends Error {}

/** Parses DISCOUNTS_WEBHOOKS_ALLOW: `10.0.0.0/8, 127.0.0.1/32, ::1/128, hooks.internal`. A bare IP counts as /32 or /128. */
export function parseAllowList(text: string | undefined): AllowList {
  if (text === undefined || text.trim() === '') return EMPTY_ALLOW;
  const cidrs: [Address, number][] = [];
  const hosts = new Set<string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry.includes('/')) {
      try {
        const [addr, bits] = ipaddr.parseCIDR(entry);
        cidrs.push([normalise(addr), addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? bits - 96 : bits]);
      } catch {
        throw new AllowListError(`DISCOUNTS_WEBHOOKS_ALLOW: '${entry}' is not a CIDR (e.g. 10.0.0.0/8, fd00::/8)`);
      }
    } else if (ipaddr.isValid(stripBrackets(entry))) {
      const addr = normalise(ipaddr.parse(stripBrackets(entry)));
      cidrs.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/i.test(entry)) {
      hosts.add(entry.toLowerCase().replace(/\.$/, ''));
    } else {
      throw new AllowListError(`DISCOUNTS_WEBHOOKS_ALLOW: '${entry}' is neither a CIDR nor a host name`);
    }
  }
  return Object.freeze({ cidrs, hosts, text: text.trim() });
}

/** A refused URL or address: the attempt fails (and is retried: the allow list may change). */
export class GuardError extends Error {
  readonly code = 'webhook_address_refused';
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) as the IPv4 address it is. */
function normalise(addr: Address): Address {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}

/** Why the address may not be connected to, or null when it may. */
export function addressProblem(ip: string, allow: AllowList): string | null {
  let addr: Address;
  try {
    addr = normalise(ipaddr.parse(stripBrackets(ip)));
  } catch {
    return `'${ip}' is not an IP address`;
  }
  for (const [net, bits] of allow.cidrs) if (net.kind() === addr.kind() && addr.match(net as never, bits)) return null;
  const range = addr.range();
  if (range === 'unicast') return null;
  return `${ip} is a ${range} address (not listed in DISCOUNTS_WEBHOOKS_ALLOW)`;
}

/** The URL's problem (scheme, credentials, a refused literal IP), or null. Host names are checked at connect time. */
export function urlProblem(url: URL, allow: AllowList): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `only http and https URLs are sent to, not ${url.protocol}`;
  if (url.username || url.password) return 'a webhook URL may not carry a user or password';
  const host = stripBrackets(url.hostname);
  if (ipaddr.isValid(host)) return addressProblem(host, allow);
  return null;
}

export type Resolver = (hostname: string, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/** The system resolver, every address of both families. */
export const systemResolver: Resolver = (hostname, callback) => dnsLookup(hostname, { all: true, verbatim: true }, callback);

/**
 * A `lookup` for http.request/https.request: resolves the host with `resolver` and refuses the
 * connection (a GuardError) when any address it resolves to is refused; a host name listed in
 * the allow list is not checked. Honours `all` and `family` as Node's lookup does.
 */
export function guardedLookup(allow: AllowList, resolver: Resolver = systemResolver): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: (...args: unknown[]) => void) => {
    resolver(hostname, (err, found) => {
      if (err) return callback(err);
      const family = options?.family === 4 || options?.family === 'IPv4' ? 4 : options?.family === 6 || options?.family === 'IPv6' ? 6 : 0;
      const addresses = family ? found.filter((a) => a.family === family) : found;
      if (addresses.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        e.code = 'ENOTFOUND';
        return callback(e);
      }
      if (!allow.hosts.has(hostname.toLowerCase().replace(/\.$/, ''))) {
        // Every address, not only the one used: a mixed answer is how DNS rebinding gets in.
        for (const a of addresses) {
          const problem = addressProblem(a.address, allow);
          if (problem) return callback(new GuardError(`refused to connect to ${hostname}: ${problem}`));
        }
      }
      if (options?.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  }) as LookupFunction;
}
