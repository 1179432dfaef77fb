// Every callback and redirect target the console follows after sign-in or sign-out goes
// through here. Judged by the WHATWG URL parser (what browsers run), not by string prefixes:
// `/\evil.example`, `/%09/evil` and `/.//evil` all look like paths but parse to another host
// or re-serialize to a protocol-relative `//evil`.

const PROBE_ORIGIN = "http://console.invalid";

/**
 * A same-origin path (path, query and fragment) for `value`, or `fallback` when `value` would
 * leave the console. `origin` is the console's own origin: an absolute URL on it is accepted
 * and cut down to its path, so the browser stays on whatever host it is using.
 */
export function sameOriginPath(value: unknown, opts: { origin?: string; fallback?: string } = {}): string {
  const fallback = opts.fallback ?? "/";
  if (typeof value !== "string" || value === "") return fallback;
  const base = opts.origin ?? PROBE_ORIGIN;
  let url: URL;
  let baseOrigin: string;
  try {
    baseOrigin = new URL(base).origin;
    url = new URL(value, `${baseOrigin}/`);
  } catch {
    return fallback;
  }
  // A relative value must not name a host of its own; an absolute one must name ours.
  if (url.origin !== baseOrigin) return fallback;
  if (!/^[a-z][a-z\d+.-]*:/i.test(value.trim()) && !value.startsWith("/")) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Re-serialized, a path can still start with `//` (from `/.//evil`), which a browser reads
  // as another host.
  if (!path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return fallback;
  return path;
}
