import type { IncomingMessage } from "node:http";

// The client address for the per-address sign-in limit. X-Forwarded-For is a list anyone can
// start: only the entries appended by proxies we run can be believed. The console's server
// (scripts/serve.ts) appends the TCP peer's address as the last entry on every request, so
// with TRUST_PROXY_HOPS=N the client is the entry N places before the end: the peer itself
// when no proxy is trusted, the address our proxy saw when one is.

/** How many reverse proxies in front of the console append to X-Forwarded-For (default 0). */
export function trustedProxyHops(env: Record<string, string | undefined> = process.env): number {
  const n = Number.parseInt(env.TRUST_PROXY_HOPS ?? "0", 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 10) : 0;
}

/** The address to rate-limit by, from the X-Forwarded-For list as the console's server left it. */
export function clientAddress(forwardedFor: string | null | undefined, hops: number): string {
  const hopsList = (forwardedFor ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (hopsList.length === 0) return "unknown";
  // Fewer entries than trusted hops: the request skipped a proxy, so take the farthest we saw.
  return hopsList[Math.max(0, hopsList.length - 1 - hops)] ?? "unknown";
}

/**
 * Appends the TCP peer's address to X-Forwarded-For before Next sees the request. Next sets
 * the header only when a client left it out, so without this a client-sent value would be
 * indistinguishable from the peer address.
 */
export function appendPeerAddress(req: IncomingMessage): void {
  const peer = req.socket.remoteAddress ?? "unknown";
  const sent = req.headers["x-forwarded-for"];
  const list = (Array.isArray(sent) ? sent.join(",") : (sent ?? "")).trim();
  req.headers["x-forwarded-for"] = list ? `${list}, ${peer}` : peer;
}
