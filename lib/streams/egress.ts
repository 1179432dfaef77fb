// Where the console may send events (webhooks, SIEM collectors): a tenant admin types a URL, and
// without a guard that URL could be the cloud metadata service, the database next door or the
// console itself (SSRF). Only http(s); the host is resolved here and every address it resolves
// to must be public, unless an admin allow-listed it; the connection then goes to exactly the
// address that was checked (no second lookup an attacker's DNS could answer differently).
import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/** Address space a destination may not resolve into, with the reason shown to the admin. */
const FORBIDDEN: [string, number, "ipv4" | "ipv6", string][] = [
  ["0.0.0.0", 8, "ipv4", "'this network'"],
  ["10.0.0.0", 8, "ipv4", "private"],
  ["100.64.0.0", 10, "ipv4", "carrier-grade NAT"],
  ["127.0.0.0", 8, "ipv4", "loopback"],
  ["169.254.0.0", 16, "ipv4", "link-local (cloud metadata lives here)"],
  ["172.16.0.0", 12, "ipv4", "private"],
  ["192.0.0.0", 24, "ipv4", "IETF protocol assignments"],
  ["192.0.2.0", 24, "ipv4", "documentation"],
  ["192.88.99.0", 24, "ipv4", "6to4 relay"],
  ["192.168.0.0", 16, "ipv4", "private"],
  ["198.18.0.0", 15, "ipv4", "benchmarking"],
  ["198.51.100.0", 24, "ipv4", "documentation"],
  ["203.0.113.0", 24, "ipv4", "documentation"],
  ["224.0.0.0", 4, "ipv4", "multicast"],
  ["240.0.0.0", 4, "ipv4", "reserved"],
  ["::", 128, "ipv6", "unspecified"],
  ["::1", 128, "ipv6", "loopback"],
  ["64:ff9b:1::", 48, "ipv6", "local NAT64"],
  ["100::", 64, "ipv6", "discard"],
  ["2001:db8::", 32, "ipv6", "documentation"],
  ["fc00::", 7, "ipv6", "unique local (private)"],
  ["fe80::", 10, "ipv6", "link-local"],
  ["fec0::", 10, "ipv6", "site-local"],
  ["ff00::", 8, "ipv6", "multicast"],
];

const lists = FORBIDDEN.map(([net, prefix, family, reason]) => {
  const l = new BlockList();
  l.addSubnet(net, prefix, family);
  return { list: l, family, reason };
});

/** IPv4 carried inside an IPv6 address (mapped, NAT64, 6to4): judged as the IPv4 it carries. */
function embeddedIPv4(address: string): string | null {
  const lower = address.toLowerCase();
  const mapped = /^(?:::ffff:|::ffff:0:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return mapped[1] as string;
  const groups = expandIPv6(lower);
  if (!groups) return null;
  const word = (i: number) => Number.parseInt(groups[i] as string, 16);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  // ::ffff:a.b.c.d written in hex, and NAT64 64:ff9b::/96.
  if (groups.slice(0, 5).every((g) => g === "0") && groups[5] === "ffff") return v4(word(6), word(7));
  if (groups[0] === "64" && groups[1] === "ff9b" && groups.slice(2, 6).every((g) => g === "0"))
    return v4(word(6), word(7));
  // 6to4 2002:AABB:CCDD::/48.
  if (groups[0] === "2002") return v4(word(1), word(2));
  return null;
}

function expandIPv6(address: string): string[] | null {
  if (isIP(address) !== 6 || address.includes(".")) return null;
  const [head, tail] = address.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => g.replace(/^0+(?=.)/, ""));
}

/** Why this address may not be a destination, or null when it is public. */
export function forbiddenReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return "not an IP address";
  if (family === 6) {
    const inner = embeddedIPv4(address);
    if (inner) return forbiddenReason(inner);
  }
  const fam = family === 4 ? "ipv4" : "ipv6";
  for (const { list, family: f, reason } of lists) if (f === fam && list.check(address, fam)) return reason;
  return null;
}

export interface EgressPolicy {
  /** Addresses or CIDRs an admin allowed although they are not public (e.g. an internal SIEM). */
  allow: readonly string[];
}

function allowList(policy: EgressPolicy): BlockList {
  const l = new BlockList();
  for (const entry of policy.allow) {
    const [net, prefix] = entry.split("/") as [string, string | undefined];
    const fam = isIP(net) === 6 ? "ipv6" : "ipv4";
    if (isIP(net) === 0) continue;
    if (prefix === undefined) l.addAddress(net, fam);
    else l.addSubnet(net, Number(prefix), fam);
  }
  return l;
}

export type Destination =
  | { ok: true; url: URL; address: string; family: 4 | 6 }
  | { ok: false; field: "url"; message: string };

/**
 * Checks a destination URL and resolves it once. Every resolved address must be allowed (one
 * private answer among public ones is how DNS rebinding gets in); the first is returned, to be
 * connected to directly.
 */
export async function resolveDestination(
  raw: string,
  policy: EgressPolicy,
  lookup: (host: string) => Promise<{ address: string; family: number }[]> = (h) =>
    dnsLookup(h, { all: true, verbatim: true }),
): Promise<Destination> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, field: "url", message: "is not a URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return { ok: false, field: "url", message: "must be http:// or https://" };
  if (url.username || url.password)
    return {
      ok: false,
      field: "url",
      message: "must not carry credentials (use the stream's secret instead)",
    };
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: { address: string; family: number }[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host);
  } catch {
    return { ok: false, field: "url", message: `host ${host} does not resolve` };
  }
  if (addresses.length === 0) return { ok: false, field: "url", message: `host ${host} does not resolve` };
  const allowed = allowList(policy);
  for (const a of addresses) {
    const reason = forbiddenReason(a.address);
    const fam = a.family === 6 ? "ipv6" : "ipv4";
    if (reason && !allowed.check(a.address, fam))
      return {
        ok: false,
        field: "url",
        message: `${host} resolves to ${a.address}, a ${reason} address; an admin must allow-list it first`,
      };
  }
  const first = addresses[0] as { address: string; family: number };
  return { ok: true, url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
