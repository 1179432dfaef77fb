import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  createPlatformVerifier,
  generateIssuerKey,
  mintCapability,
  type RevocationFeedEntry,
  systemClock,
  toPublicKey,
} from "@capability-console/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// A stand-in console speaking the documented wire format over real HTTP.
async function fakeConsole(keys: unknown[]) {
  const feed: RevocationFeedEntry[] = [];
  let polls = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    res.setHeader("content-type", "application/json");
    if (req.headers.authorization !== "Bearer cck_k") {
      res.writeHead(401).end(JSON.stringify({ error: "unknown key" }));
      return;
    }
    if (url.pathname === "/api/v1/keys") {
      res.end(JSON.stringify({ keys }));
      return;
    }
    polls++;
    const since = Number(url.searchParams.get("since") ?? 0);
    const page = feed.filter((e) => e.cursor > since).slice(0, 2);
    const head = Math.max(0, ...feed.map((e) => e.cursor));
    res.end(JSON.stringify({ revocations: page, next: page.at(-1)?.cursor ?? since, head }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, feed, server, polls: () => polls };
}

describe("the platform verifier", () => {
  let issuer: Awaited<ReturnType<typeof generateIssuerKey>>;
  let c: Awaited<ReturnType<typeof fakeConsole>>;
  beforeAll(async () => {
    issuer = await generateIssuerKey("acme-2026-11");
    c = await fakeConsole([{ ...toPublicKey(issuer), alg: "ed25519", status: "active" }]);
  });
  afterAll(() => c.server.close());
  const mint = (session: string, principal = "alice@acme.example") =>
    mintCapability({
      issuer,
      tenant: "acme",
      principal,
      agent: "alice-assistant",
      session,
      request: "req_1",
      rights: [{ resource: "Customer", actions: ["read"] }],
      ttlMs: 600_000,
      clock: systemClock,
    });

  it("verifies with published keys and denies a revoked ancestor's descendants within its stated delay", async () => {
    const verifier = await createPlatformVerifier({
      baseUrl: c.url,
      apiKey: "cck_k",
      clock: systemClock,
      pollIntervalMs: 100,
    });
    try {
      const root = await mint("sess_1");
      const child = root.narrowTo({ resource: "Customer", id: "c_1" });
      const grandchild = child.narrowTo({ fields: ["name"] });
      expect(verifier.verify(grandchild.token).ok).toBe(true);

      c.feed.push({
        cursor: 1,
        kind: "capability",
        target: child.id,
        revokedIds: [child.id],
        reason: "revoked by an admin",
        at: new Date().toISOString(),
      });
      const revokedAt = performance.now();
      while (verifier.verify(grandchild.token).ok) {
        expect(performance.now() - revokedAt).toBeLessThan(verifier.follower.maxDelayMs);
        await new Promise((r) => setTimeout(r, 10));
      }
      const delay = performance.now() - revokedAt;
      const denied = verifier.verify(grandchild.token);
      expect(denied.ok).toBe(false);
      expect(denied.ok ? "" : denied.error.message).toContain("revoked");
      // The parent of the revoked capability is untouched.
      expect(verifier.verify(root.token).ok).toBe(true);
      expect(delay).toBeLessThan(verifier.follower.maxDelayMs);
    } finally {
      verifier.close();
    }
  });

  it("follows pages of the feed and applies session and principal revocations", async () => {
    const verifier = await createPlatformVerifier({
      baseUrl: c.url,
      apiKey: "cck_k",
      clock: systemClock,
      pollIntervalMs: 60_000,
    });
    try {
      const s2 = await mint("sess_2");
      const carol = await mint("sess_9", "carol@acme.example");
      c.feed.push(
        { cursor: 2, kind: "session", target: "sess_2", revokedIds: [], reason: "r", at: "" },
        { cursor: 3, kind: "principal", target: "carol@acme.example", revokedIds: [], reason: "r", at: "" },
        { cursor: 4, kind: "session", target: "sess_other", revokedIds: [], reason: "r", at: "" },
      );
      expect(await verifier.follower.pollOnce()).toBe(3);
      expect(verifier.follower.cursor).toBe(4);
      expect(verifier.verify(s2.token).ok).toBe(false);
      expect(verifier.verify(carol.token).ok).toBe(false);
      expect(verifier.verify((await mint("sess_3")).token).ok).toBe(true);
    } finally {
      verifier.close();
    }
  });

  it("refuses to start with a bad ingest key", async () => {
    await expect(
      createPlatformVerifier({ baseUrl: c.url, apiKey: "nope", clock: systemClock }),
    ).rejects.toThrow("401");
  });
});
