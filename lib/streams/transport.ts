// One HTTP POST to a stream's destination: to exactly the address the egress guard checked (no
// second DNS lookup), no redirects followed, bounded in time and in how much of the answer is
// read. TLS still verifies the certificate against the URL's host name.
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";

export interface PostArgs {
  url: URL;
  address: string;
  family: 4 | 6;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** At most this much of the answer is read (for the error message); the rest is dropped. */
  maxResponseBytes?: number;
}

export interface PostResult {
  /** HTTP status, or 0 when no answer came (refused, reset, timed out). */
  status: number;
  retryAfterMs: number | null;
  error: string | null;
}

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/** Retry-After as seconds or an HTTP date, in milliseconds from now; null when absent or invalid. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d{1,7}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

export function postPinned(args: PostArgs): Promise<PostResult> {
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) callback(null, [{ address: args.address, family: args.family }]);
    else callback(null, args.address, args.family);
  };
  const secure = args.url.protocol === "https:";
  const lib = secure ? https : http;
  const limit = args.maxResponseBytes ?? 4096;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: PostResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const req = lib.request(
      args.url,
      {
        method: "POST",
        agent: secure ? agents.https : agents.http,
        lookup: pinned,
        headers: { ...args.headers, "content-length": String(Buffer.byteLength(args.body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          if (size < limit) chunks.push(c.subarray(0, limit - size));
          size += c.length;
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const retryAfterMs = parseRetryAfter(res.headers["retry-after"] as string | undefined);
          if (status >= 200 && status < 300) return done({ status, retryAfterMs, error: null });
          const text = Buffer.concat(chunks).toString("utf8").replace(/\s+/g, " ").trim().slice(0, 300);
          const redirect = status >= 300 && status < 400 ? " (redirects are not followed)" : "";
          done({ status, retryAfterMs, error: `HTTP ${status}${redirect}${text ? `: ${text}` : ""}` });
        });
        res.on("error", (e) =>
          done({ status: 0, retryAfterMs: null, error: `answer broke off: ${e.message}` }),
        );
      },
    );
    // One deadline for the whole exchange, not per socket event: a receiver trickling bytes is cut.
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${args.timeoutMs} ms`));
    }, args.timeoutMs);
    req.on("error", (e) => done({ status: 0, retryAfterMs: null, error: e.message }));
    req.on("close", () => {
      clearTimeout(timer);
      done({ status: 0, retryAfterMs: null, error: "connection closed without an answer" });
    });
    req.end(args.body);
  });
}
