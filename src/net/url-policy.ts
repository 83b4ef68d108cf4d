// Which URLs the verifier may contact. tag2upload only accepts https://
// repository URLs; plain http is for loopback test servers, and only when the
// configuration allows it (`fetch.allowHttpLoopback`, off by default: the
// test-only switch). Whoever pushes a tag or asks the API chooses the URLs, so
// a URL must not make the verifier reach inward:
// - a host list (`fetch.allowedHosts`; the service's default is Salsa,
//   dgit-repos and the configured mirror): other hosts are refused;
// - the address connected to must not lead inward: loopback, private (RFC 1918),
//   shared (RFC 6598), link-local (169.254.0.0/16, fe80::/10, where cloud
//   metadata services answer), unique-local (fc00::/7), multicast and reserved
//   ranges are refused, for address literals here and, for names, after DNS
//   (`policyLookup`, the lookup of every connection, so a name that resolves
//   inward is refused too); with the test switch, loopback is allowed;
// - every redirect is checked again by the same rules (src/net/http-transport.ts).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { VerificationError } from '../report/verification-error.js';

export interface UrlPolicy {
  /** Allow http:// to loopback addresses (127.0.0.0/8, ::1, localhost), and loopback addresses at all. Tests only. */
  readonly allowHttpLoopback: boolean;
  /** The hosts that may be contacted (lower-case names); absent: any public host. */
  readonly allowedHosts?: readonly string[];
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/**
 * Addresses that lead inward: this host, its networks and their services. The
 * documentation ranges (TEST-NET, 2001:db8::/32) are not among them: nothing
 * answers there but what a network operator put there on purpose (some
 * networks route the internet through them).
 */
const NOT_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NOT_PUBLIC.addSubnet(net, bits, 'ipv4');
// 64:ff9b::/96 and /48: NAT64, which reaches any IPv4 address, private ones included.
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  NOT_PUBLIC.addSubnet(net, bits, 'ipv6');
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** An IPv4 address in IPv6 clothing (::ffff:10.0.0.1) is judged as the IPv4 address it is. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (m) return { address: m[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 4 ? 'ipv4' : 'ipv6' };
}

/** Whether the verifier may connect to this address under `policy`. */
export function addressAllowed(raw: string, policy: UrlPolicy): boolean {
  const { address, family } = unmapped(raw);
  if (policy.allowHttpLoopback && LOOPBACK.check(address, family)) return true;
  return !NOT_PUBLIC.check(address, family);
}

/**
 * The DNS lookup of every connection the verifier makes: the name is resolved
 * as usual, and refused when any address it resolves to is not allowed, so the
 * address connected to is always one that was checked.
 */
export function policyLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const refused = addresses.find((a) => !addressAllowed(a.address, policy));
      if (refused !== undefined) {
        const e = new VerificationError('UNSUPPORTED_URL', `${hostname} resolves to ${refused.address}, which is not a public address`);
        return callback(e, '', 0);
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all === true) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** Parses and checks a repository URL; throws VerificationError(UNSUPPORTED_URL) when not allowed. */
export function checkRepositoryUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new VerificationError('UNSUPPORTED_URL', `not a URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new VerificationError('UNSUPPORTED_URL', 'repository URLs must not carry credentials');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new VerificationError('UNSUPPORTED_URL', 'repository URLs must not have a query or fragment');
  }
  return checkEndpointUrl(url, policy);
}

/** The scheme, host and address rules, for every request the verifier makes (including redirects). */
export function checkEndpointUrl(url: URL, policy: UrlPolicy): URL {
  if (url.username !== '' || url.password !== '') {
    throw new VerificationError('UNSUPPORTED_URL', 'URLs must not carry credentials');
  }
  if (url.protocol === 'http:') {
    if (!policy.allowHttpLoopback || !isLoopbackHost(url.hostname)) {
      throw new VerificationError(
        'UNSUPPORTED_URL',
        policy.allowHttpLoopback
          ? `plain http is allowed only to loopback addresses, not ${url.hostname}`
          : 'plain http is not allowed: tag2upload fetches over https:// only',
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new VerificationError('UNSUPPORTED_URL', `unsupported scheme ${url.protocol} (only https:// is supported)`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const testServer = policy.allowHttpLoopback && isLoopbackHost(host);
  if (isIP(host) !== 0 && !addressAllowed(host, policy)) {
    throw new VerificationError('UNSUPPORTED_URL', `${host} is not a public address`);
  }
  if (policy.allowedHosts !== undefined && !testServer && !policy.allowedHosts.includes(host)) {
    throw new VerificationError(
      'UNSUPPORTED_URL',
      `${host} is not one of the hosts the verifier may contact (fetch.allowedHosts: ${policy.allowedHosts.join(', ')})`,
    );
  }
  return url;
}
