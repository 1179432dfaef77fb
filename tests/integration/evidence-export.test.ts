import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { capabilities, events } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { coverTenantHeadNow } from "@/lib/audit/checkpointer";
import type { Authority } from "@/lib/auth/authority";
import { loadDemoActivity } from "@/lib/demo/load";
import { buildEvidenceBundle, evidenceExportResponse } from "@/lib/evidence/bundle";
import type { ProofSource } from "@/lib/evidence/proof-source";
import { storeProofSource } from "@/lib/evidence/server";
import { inputDigestKey } from "@/lib/ingest/input-digest";
import { treeOrigin, vkeysFor } from "@/lib/merkle/sign";
import { getConsistencyProof, getLatestTreeCheckpoint } from "@/lib/merkle/store";
import { createSlotLimiter } from "@/lib/server/stream-slots";
import { verifyBundle } from "@/packages/sdk/src/evidence/verify";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { consoleKey } from "../support/ingest-fixtures";
import { event } from "../unit/evidence/make-bundle";

// Issue 15 item 4: evidence bundles exported from the console, checked by the offline verifier,
// within the exporter's role and tenants, on both backends.

const ORIGIN = "console.test/capability-console";
const keysOf = (tenant: string) => vkeysFor(treeOrigin(ORIGIN, tenant), [consoleKey.publicKey]);

/** The real thing: the stored Merkle tree (lib/merkle/store.ts) and its checkpointer round. */
function proofSourceFor(database: Database): ProofSource {
  return storeProofSource(database.db, { signer: consoleKey, logOrigin: ORIGIN, keys: keysOf });
}

describe.each(backends)("evidence bundle export on $name", (backend) => {
  let database: Database;
  let proofs: ProofSource;
  let investigator: Authority;
  let viewer: Authority;
  let globex: Authority;
  let both: Authority;
  const pin = (tenant: string) => ({ trustedKeys: keysOf(tenant) });

  beforeAll(async () => {
    database = await backend.open();
    proofs = proofSourceFor(database);
    await addTenants(database.db, ["acme", "globex"]);
    await database.db.transaction((tx) =>
      appendEvents(tx, [
        ...Array.from({ length: 30 }, (_, i) =>
          event("acme", i, { id: `0192acme-0000-7000-8000-${String(i).padStart(12, "0")}` }),
        ),
        ...Array.from({ length: 10 }, (_, i) =>
          event("globex", i, {
            id: `0192glbx-0000-7000-8000-${String(i).padStart(12, "0")}`,
            principal: "gus@globex.example",
          }),
        ),
      ]),
    );
    investigator = await signedIn(database.db, {
      email: "ivy@acme.example",
      role: "investigator",
      tenants: ["acme"],
    });
    viewer = await signedIn(database.db, { email: "vic@acme.example", role: "viewer", tenants: ["acme"] });
    globex = await signedIn(database.db, {
      email: "gwen@globex.example",
      role: "investigator",
      tenants: ["globex"],
    });
    both = await signedIn(database.db, {
      email: "ada@console.test",
      role: "admin",
      tenants: ["acme", "globex"],
    });
  });
  afterAll(() => database.close());

  it("exports a query's events as a bundle the offline verifier says is genuine, and audits it", async () => {
    const res = await buildEvidenceBundle(
      database.db,
      investigator,
      { kind: "query", q: "outcome:denied" },
      { proofs },
    );
    if (!res.ok) throw new Error(res.error);
    const report = await verifyBundle(new TextEncoder().encode(res.json), pin("acme"));
    expect(report.failures).toEqual([]);
    expect(report.verdict).toBe("genuine");
    // event() denies every fifth: 0, 5, ..., 25.
    expect(report.eventCount).toBe(6);
    expect(res.bundle.events.map((e) => JSON.parse(e.canonical).resourceId)).toEqual([
      "o_0",
      "o_5",
      "o_10",
      "o_15",
      "o_20",
      "o_25",
    ]);
    expect(res.bundle.manifest).toMatchObject({
      tenant: "acme",
      exportedBy: { email: "ivy@acme.example", userId: investigator.userId },
      source: { kind: "query", query: "outcome:denied" },
      eventCount: 6,
    });
    const [audit] = await database.db
      .select()
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.id, res.bundle.manifest.exportEventId)));
    expect(audit).toMatchObject({ type: "console.evidence.exported", principal: "ivy@acme.example" });
    expect(audit?.meta).toMatchObject({ source: { kind: "query", query: "outcome:denied" }, eventCount: 6 });
    expect(res.filename).toMatch(/^evidence-acme-\d{12}\.json$/);
  });

  it("proves against the stored tree checkpoint, and a later stored checkpoint is consistent with it", async () => {
    const res = await buildEvidenceBundle(
      database.db,
      investigator,
      { kind: "query", q: "tool:crm.update_order" },
      { proofs },
    );
    if (!res.ok) throw new Error(res.error);
    const stored = await getLatestTreeCheckpoint(database.db, "acme");
    expect(res.bundle.checkpoint).toBe(stored?.note);
    expect(res.bundle.checkpoint.startsWith(`${ORIGIN}/acme\n`)).toBe(true);
    // The log grows; the console signs a later checkpoint and proves it extends the bundle's.
    await database.db.transaction((tx) =>
      appendEvents(
        tx,
        Array.from({ length: 7 }, (_, i) =>
          event("acme", 100 + i, { id: `0192acme-0000-7000-9000-${String(i).padStart(12, "0")}` }),
        ),
      ),
    );
    const later = await coverTenantHeadNow(database.db, {
      tenant: "acme",
      signer: consoleKey,
      logOrigin: ORIGIN,
    });
    if (!later || !stored) throw new Error("no checkpoints");
    expect(later.size).toBeGreaterThan(stored.size);
    const proof = await getConsistencyProof(database.db, {
      tenant: "acme",
      from: stored.size,
      to: later.size,
    });
    const proofFile = new TextEncoder().encode(
      proof.map((h) => Buffer.from(h).toString("base64")).join("\n"),
    );
    const bytes = new TextEncoder().encode(res.json);
    const report = await verifyBundle(bytes, {
      ...pin("acme"),
      later: { checkpoint: later.note, consistencyProof: proofFile },
    });
    expect(report.failures).toEqual([]);
    expect(report.consistency).toEqual({ checked: true, ok: true, laterSize: later.size });
    // A proof between other sizes does not pass for this one.
    const wrong = await getConsistencyProof(database.db, {
      tenant: "acme",
      from: stored.size - 1,
      to: later.size,
    });
    const bad = await verifyBundle(bytes, {
      ...pin("acme"),
      later: {
        checkpoint: later.note,
        consistencyProof: new TextEncoder().encode(
          wrong.map((h) => Buffer.from(h).toString("base64")).join("\n"),
        ),
      },
    });
    expect(bad.failures[0]).toMatchObject({ where: "later checkpoint", check: "consistency" });
  });

  it("exports a request's events", async () => {
    const res = await buildEvidenceBundle(
      database.db,
      investigator,
      { kind: "request", id: "req-2" },
      { proofs },
    );
    if (!res.ok) throw new Error(res.error);
    expect(res.bundle.events.map((e) => JSON.parse(e.canonical).request)).toEqual([
      "req-2",
      "req-2",
      "req-2",
    ]);
    expect((await verifyBundle(new TextEncoder().encode(res.json), pin("acme"))).verdict).toBe("genuine");
  });

  it("refuses a viewer: bundles carry events' full content", async () => {
    await expect(
      buildEvidenceBundle(database.db, viewer, { kind: "query", q: "" }, { proofs }),
    ).rejects.toThrow(/investigator or admin/);
  });

  it("keeps tenants apart: acme's investigator cannot export globex, globex's sees only globex", async () => {
    const before = await database.db.select({ n: sql<number>`count(*)::int` }).from(events);
    const refused = await buildEvidenceBundle(
      database.db,
      investigator,
      { kind: "query", q: "", tenant: "globex" },
      { proofs },
    );
    expect(refused).toMatchObject({ ok: false, status: 403, field: "tenant" });
    const after = await database.db.select({ n: sql<number>`count(*)::int` }).from(events);
    expect(after).toEqual(before);

    for (const q of ["", "tenant:acme", "principal:alice@acme.example", "request:req-2"]) {
      const res = await buildEvidenceBundle(database.db, globex, { kind: "query", q }, { proofs });
      if (!res.ok) {
        expect(res.status).toBe(400);
        continue;
      }
      expect(res.bundle.manifest.tenant).toBe("globex");
      expect(res.json).not.toContain("0192acme");
      expect(res.json).not.toContain('"tenant":"acme"');
    }
    // A user of both tenants must say which.
    expect(await buildEvidenceBundle(database.db, both, { kind: "query", q: "" }, { proofs })).toMatchObject({
      ok: false,
      status: 400,
      field: "tenant",
    });
    const chosen = await buildEvidenceBundle(
      database.db,
      both,
      { kind: "query", q: "", tenant: "globex" },
      { proofs },
    );
    if (!chosen.ok) throw new Error(chosen.error);
    expect(chosen.bundle.events.every((e) => JSON.parse(e.canonical).tenant === "globex")).toBe(true);
    expect((await verifyBundle(new TextEncoder().encode(chosen.json), pin("globex"))).verdict).toBe(
      "genuine",
    );
    // acme's key does not vouch for globex's bundle.
    expect((await verifyBundle(new TextEncoder().encode(chosen.json), pin("acme"))).verdict).toBe("failed");
  });

  it("answers bad input with 4xx naming the field", async () => {
    const params = (p: Record<string, string>) => new URLSearchParams(p);
    const cases: [Record<string, string>, number, string][] = [
      [{ kind: "case" }, 400, "kind"],
      [{ kind: "request" }, 400, "id"],
      [{ kind: "capability", id: "x y" }, 400, "id"],
      [{ kind: "query", q: "outcome:" }, 400, "q"],
      [{ kind: "query", q: "", tenant: "nope" }, 403, "tenant"],
    ];
    for (const [p, status, field] of cases) {
      const res = await evidenceExportResponse(database.db, investigator, params(p), { proofs });
      expect(res.status, JSON.stringify(p)).toBe(status);
      expect(await res.json(), JSON.stringify(p)).toMatchObject({ field });
    }
    const ok = await evidenceExportResponse(
      database.db,
      investigator,
      params({ kind: "query", q: "tool:crm.update_order" }),
      { proofs },
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-disposition")).toMatch(/attachment; filename="evidence-acme-/);
    expect((await ok.json()).format).toBe("capability-console/evidence-bundle@v1");
  });

  it("answers 503 when no signed checkpoint covers the export", async () => {
    const stalled: ProofSource = {
      ...proofs,
      checkpointNow: async () => {
        throw new Error("signing round timed out");
      },
      getLatestTreeCheckpoint: async () => null,
    };
    const res = await buildEvidenceBundle(
      database.db,
      investigator,
      { kind: "query", q: "" },
      { proofs: stalled },
    );
    expect(res).toMatchObject({ ok: false, status: 503 });
  });

  it("shares the export slots: too many at once is 429", async () => {
    const slots = createSlotLimiter(1);
    const hold = slots.acquire(`user:${investigator.userId}`);
    const res = await buildEvidenceBundle(
      database.db,
      investigator,
      { kind: "query", q: "" },
      { proofs, slots },
    );
    expect(res).toMatchObject({ ok: false, status: 429 });
    hold?.();
  });

  it("refuses to export an event whose stored content no longer matches its hash", async () => {
    await database.db
      .update(events)
      .set({ resourceId: "o_tampered" })
      .where(and(eq(events.tenant, "globex"), eq(events.id, "0192glbx-0000-7000-8000-000000000003")));
    const res = await buildEvidenceBundle(database.db, globex, { kind: "query", q: "" }, { proofs });
    expect(res).toMatchObject({ ok: false, status: 409 });
    if (!res.ok) expect(res.error).toContain("0192glbx-0000-7000-8000-000000000003");
  });
});

describe.each(backends)("evidence bundles hold no secrets on $name", (backend) => {
  it("no raw token and no raw tool input, only digests, after a demo run", async () => {
    const database = await backend.open();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-evidence-"));
    try {
      const tokens: string[] = [];
      await loadDemoActivity({
        db: database.db,
        dataDir: dir,
        consoleKey,
        tenants: ["acme", "globex"],
        days: 2,
        requestsPerDay: 2,
        digestKey: inputDigestKey(consoleKey.privateKey),
        onToken: (t) => tokens.push(t),
      });
      expect(tokens.length).toBeGreaterThan(5);
      await addTenants(database.db, ["acme", "globex"]);
      const admin = await signedIn(database.db, {
        email: "root@console.test",
        role: "admin",
        tenants: ["acme"],
      });
      const proofs = proofSourceFor(database);
      const res = await buildEvidenceBundle(database.db, admin, { kind: "query", q: "" }, { proofs });
      if (!res.ok) throw new Error(res.error);
      expect(res.bundle.events.length).toBeGreaterThan(20);
      const leaked = tokens.filter((t) => res.json.includes(t) || res.json.includes(t.slice(-64)));
      expect(leaked).toEqual([]);
      const digests = res.bundle.events.map((e) => JSON.parse(e.canonical).inputDigest).filter(Boolean);
      expect(digests.length).toBeGreaterThan(0);
      for (const d of digests) expect(d).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
      for (const e of res.bundle.events) expect(Object.keys(JSON.parse(e.canonical))).not.toContain("input");

      // A capability's bundle: its events and its descendants'.
      const [cap] = await database.db
        .select({ id: capabilities.id })
        .from(capabilities)
        .where(eq(capabilities.tenant, "acme"))
        .limit(1);
      if (!cap) throw new Error("the demo made no capability");
      const capRes = await buildEvidenceBundle(
        database.db,
        admin,
        { kind: "capability", id: cap.id },
        { proofs },
      );
      if (!capRes.ok) throw new Error(capRes.error);
      expect(capRes.bundle.manifest.source).toMatchObject({ kind: "capability", id: cap.id });
      const report = await verifyBundle(new TextEncoder().encode(capRes.json), {
        trustedKeys: keysOf("acme"),
      });
      expect(report.failures).toEqual([]);
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
