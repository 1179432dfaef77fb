import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { issuers, revocations } from "@/db/schema";
import { handleKeys, handleRevocations } from "@/lib/api/verifier-routes";
import { generateIssuerKey, type IssuerKeyPair, mintCapability, systemClock } from "@/lib/capability";
import { insertApiKey } from "@/lib/data/api-keys";
import { nextFeedCursor } from "@/lib/data/verifier-feed";
import { createPlatformVerifier, RevocationFollower } from "@/lib/sdk/platform";
import { backends } from "../support/db";
import { addTenants } from "../support/fixtures";
import { routeFetch } from "../support/route-fetch";

describe.each(backends)("verifier endpoints and the SDK on $name", (backend) => {
  let database: Database;
  let acmeKey: string;
  let globexKey: string;
  let platform: IssuerKeyPair;
  const base = "http://console.test";

  // The SDK's fetch, answered by the real route handlers over the real database.
  const fetchVia = (key?: string) =>
    routeFetch(
      [
        ["/api/v1/keys", (req) => handleKeys(database.db, req)],
        ["/api/v1/revocations", (req) => handleRevocations(database.db, req)],
      ],
      { apiKey: key },
    );

  const get = (path: string, key?: string, headers: Record<string, string> = {}) =>
    fetchVia()(`${base}${path}`, {
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    });

  const revoke = async (row: {
    tenant: string;
    kind: "session" | "capability" | "principal";
    target: string;
    ids?: string[];
  }) => {
    const [r] = await database.db
      .insert(revocations)
      .values({
        tenant: row.tenant,
        cursor: nextFeedCursor(row.tenant),
        kind: row.kind,
        target: row.target,
        reason: "test",
        actor: "admin@x.test",
        revokedIds: row.ids ?? [],
      })
      .returning({ cursor: revocations.cursor });
    return r?.cursor ?? 0;
  };

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    acmeKey = (await insertApiKey(database.db, { tenant: "acme", source: "platform", createdBy: "t" })).key;
    globexKey = (await insertApiKey(database.db, { tenant: "globex", source: "platform", createdBy: "t" }))
      .key;
    platform = await generateIssuerKey("acme-2026-11");
    const globex = await generateIssuerKey("globex-2026-11");
    const consoleKey = await generateIssuerKey("console-2026-11");
    const old = await generateIssuerKey("acme-2026-10");
    const older = await generateIssuerKey("acme-2026-09");
    const now = Date.now();
    await database.db.insert(issuers).values([
      { kid: platform.kid, tenant: "acme", publicKey: platform.publicKey },
      { kid: globex.kid, tenant: "globex", publicKey: globex.publicKey },
      { kid: consoleKey.kid, tenant: null, publicKey: consoleKey.publicKey },
      {
        kid: old.kid,
        tenant: "acme",
        publicKey: old.publicKey,
        status: "retired",
        verifiesUntil: new Date(now + 3_600_000),
      },
      {
        kid: older.kid,
        tenant: "acme",
        publicKey: older.publicKey,
        status: "retired",
        verifiesUntil: new Date(now - 1000),
      },
    ]);
  });
  afterAll(() => database.close());

  it("publishes the tenant's keys and the console's, with retired ones only inside their grace period", async () => {
    const res = await get("/api/v1/keys", acmeKey);
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: { kid: string; status: string; alg: string }[] };
    expect(keys.map((k) => k.kid).sort()).toEqual(["acme-2026-10", "acme-2026-11", "console-2026-11"]);
    expect(keys.find((k) => k.kid === "acme-2026-10")?.status).toBe("retired");
    expect(keys.every((k) => k.alg === "ed25519")).toBe(true);
    expect((await get("/api/v1/keys")).status).toBe(401);
    expect((await get("/api/v1/keys", "cck_not_a_real_key_at_all_000000")).status).toBe(401);
  });

  it("serves each tenant only its own revocations, after the cursor, and names a bad cursor", async () => {
    const a = await revoke({ tenant: "acme", kind: "session", target: "sess_a" });
    await revoke({ tenant: "globex", kind: "session", target: "sess_g" });
    const b = await revoke({ tenant: "acme", kind: "principal", target: "carol@acme.example" });
    const all = (await (await get("/api/v1/revocations?since=0", acmeKey)).json()) as {
      revocations: { target: string; cursor: number }[];
      next: number;
    };
    expect(all.revocations.map((r) => r.target)).toEqual(["sess_a", "carol@acme.example"]);
    expect(all.next).toBe(b);
    const after = (await (await get(`/api/v1/revocations?since=${a}`, acmeKey)).json()) as {
      revocations: { target: string }[];
    };
    expect(after.revocations.map((r) => r.target)).toEqual(["carol@acme.example"]);
    const globex = (await (await get("/api/v1/revocations", globexKey)).json()) as {
      revocations: { target: string }[];
    };
    expect(globex.revocations.map((r) => r.target)).toEqual(["sess_g"]);
    const bad = await get("/api/v1/revocations?since=-1;drop", acmeKey);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: "since" });
  });

  it("tells the tenant's head, and an SDK follower holding a cursor above it reads the feed again", async () => {
    const head = await revoke({ tenant: "globex", kind: "session", target: "sess_head" });
    const page = (await (await get(`/api/v1/revocations?since=${head + 1000}`, globexKey)).json()) as {
      revocations: unknown[];
      head: number;
    };
    expect(page).toMatchObject({ revocations: [], head });
    // A cursor kept from elsewhere (before the per-tenant cursors, another database): not trusted.
    const follower = new RevocationFollower({ baseUrl: base, apiKey: globexKey, fetch: fetchVia(globexKey) });
    follower.cursor = head + 1000;
    expect(await follower.pollOnce()).toBeGreaterThan(0);
    expect(follower.cursor).toBe(head);
    expect(follower.list.sessions.has("sess_head")).toBe(true);
  });

  it("streams new revocations as server-sent events", async () => {
    const controller = new AbortController();
    const start = (await (await get("/api/v1/revocations", acmeKey)).json()) as { next: number };
    const res = await handleRevocations(
      database.db,
      new Request(`${base}/api/v1/revocations?since=${start.next}`, {
        headers: { authorization: `Bearer ${acmeKey}`, accept: "text/event-stream" },
        signal: controller.signal,
      }),
      { pollMs: 50 },
    );
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const cursor = await revoke({ tenant: "acme", kind: "session", target: "sess_streamed" });
    await revoke({ tenant: "globex", kind: "session", target: "sess_not_for_acme" });
    let text = "";
    while (!text.includes("sess_streamed")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    await reader.cancel();
    expect(text).toContain(`id: ${cursor}\nevent: revocation`);
    expect(text).not.toContain("sess_not_for_acme");
  });

  it("lets an SDK verifier deny a revoked capability's descendants, a session and a principal within its stated delay", async () => {
    const verifier = await createPlatformVerifier({
      baseUrl: base,
      apiKey: acmeKey,
      fetch: fetchVia(),
      clock: systemClock,
      pollIntervalMs: 100,
    });
    try {
      const mint = (session: string, principal = "alice@acme.example") =>
        mintCapability({
          issuer: platform,
          tenant: "acme",
          principal,
          agent: "alice-assistant",
          session,
          request: "req_sdk",
          rights: [{ resource: "Order", actions: ["read", "write"] }],
          ttlMs: 600_000,
          clock: systemClock,
        });
      const root = await mint("sess_live");
      const child = root.narrowTo({ resource: "Order", action: "write" });
      const grandchild = child.narrowTo({ id: "o_1" });
      const other = await mint("sess_other");
      expect(verifier.verify(grandchild.token).ok).toBe(true);

      const waitDenied = async (token: string) => {
        const t0 = performance.now();
        while (verifier.verify(token).ok) {
          if (performance.now() - t0 > verifier.follower.maxDelayMs) throw new Error("not denied in time");
          await new Promise((r) => setTimeout(r, 10));
        }
        return performance.now() - t0;
      };
      await revoke({ tenant: "acme", kind: "capability", target: child.id, ids: [child.id] });
      const delay = await waitDenied(grandchild.token);
      expect(delay).toBeLessThan(verifier.follower.maxDelayMs);
      expect(verifier.verify(root.token).ok).toBe(true);

      await revoke({ tenant: "acme", kind: "session", target: "sess_other" });
      await waitDenied(other.token);
      const carol = await mint("sess_c", "carol@acme.example");
      expect(verifier.verify(carol.token).ok).toBe(false); // revoked earlier in this file
    } finally {
      verifier.close();
    }
  });
});
