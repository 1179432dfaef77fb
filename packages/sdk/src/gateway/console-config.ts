// The one document the gateway reads from the console (GET /api/v1/gateway/config): clients and
// tool rules, polled with an ETag. Credentials are checked here, locally, by sha256.
import { createHash } from "node:crypto";
import type { ConsoleClientOptions } from "../client/console-client.js";
import { fetchGatewayConfig } from "../client/gateway.js";
import type { GatewayClient, GatewayConfigResponse } from "../schema/gateway.js";

export type Identity =
  | { ok: true; client: GatewayClient }
  | { ok: false; error: "missing" | "unknown" | "revoked"; message: string };

const MAX_REMEMBERED = 1024;
const BEARER = /^Bearer[ \t]+(gwc_[A-Za-z0-9_-]{20,200})[ \t]*$/i;

export class ConsoleConfigFollower {
  private doc: GatewayConfigResponse | undefined;
  private etag: string | undefined;
  private byHash = new Map<string, GatewayClient>();
  /** Authorization header → its credential's sha256: the header repeats on every request. */
  private hashOf = new Map<string, string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling: Promise<boolean> | undefined;
  lastError: Error | undefined;
  /** Called after a poll that brought a new version. */
  onChange: (() => void) | undefined;

  constructor(private readonly o: ConsoleClientOptions & { intervalMs: number }) {}

  get config(): GatewayConfigResponse {
    if (!this.doc) throw new Error("the gateway config has not been read from the console yet");
    return this.doc;
  }

  /** One poll; resolves to whether the document changed. */
  pollOnce(): Promise<boolean> {
    this.polling ??= (async () => {
      const got = await fetchGatewayConfig(this.o, this.etag);
      if (got.notModified) return false;
      this.doc = got.config;
      this.etag = got.etag;
      this.byHash = new Map(got.config.clients.map((c) => [c.credentialSha256, c]));
      this.onChange?.();
      return true;
    })().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.pollOnce().then(
        () => {
          this.lastError = undefined;
        },
        (err: unknown) => {
          // Keep the last document: a console restart must not lock every agent out.
          this.lastError = err instanceof Error ? err : new Error(String(err));
        },
      );
    }, this.o.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The client an `Authorization` header names, checked by the credential's sha256. */
  identify(authorization: string | null | undefined): Identity {
    // Only the hash is remembered; the client (and whether it is revoked) is looked up every time.
    let hash = authorization ? this.hashOf.get(authorization) : undefined;
    if (hash === undefined) {
      const m = BEARER.exec(authorization ?? "");
      if (!m)
        return {
          ok: false,
          error: "missing",
          message: "send a gateway client credential as Authorization: Bearer gwc_…",
        };
      hash = createHash("sha256")
        .update(m[1] as string)
        .digest("hex");
      if (this.hashOf.size >= MAX_REMEMBERED) this.hashOf.clear();
      this.hashOf.set(authorization as string, hash);
    }
    const client = this.byHash.get(hash);
    if (!client) return { ok: false, error: "unknown", message: "unknown gateway client credential" };
    if (client.revoked)
      return {
        ok: false,
        error: "revoked",
        message: `gateway client ${client.name || client.id} is revoked`,
      };
    return { ok: true, client };
  }
}
