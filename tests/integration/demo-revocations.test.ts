import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sessions } from "@/db/schema";
import { handleRevocations } from "@/lib/api/verifier-routes";
import { verifyTenantChain } from "@/lib/audit/verify";
import type { Authority } from "@/lib/auth/authority";
import { listSessionPrincipals } from "@/lib/data/agent-sessions";
import { insertApiKey } from "@/lib/data/api-keys";
import { getOverview } from "@/lib/data/overview";
import { listRevocations } from "@/lib/data/revocations";
import { loadDemoActivity } from "@/lib/demo/load";
import { inputDigestKey } from "@/lib/ingest/input-digest";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { backends } from "../support/db";

const investigator: Authority = {
  userId: "00000000-0000-4000-8000-000000000002",
  email: "investigator@console.test",
  name: null,
  role: "investigator",
  tenants: ["acme", "globex"],
  activeTenant: null,
  sessionId: "test",
  authTime: new Date(),
};

// Issue 11 item 2: "carol left the company" and bob's revoked session are the console's own
// revocations, so the pages, the verifier feed and the simulator's verifiers agree.
describe.each(backends)("the demo's revocations on $name", (backend) => {
  it("reach the verifier feed and the revocation list, and the pages say the console did them", async () => {
    const database = await backend.open();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-demo-rev-"));
    try {
      const consoleKey = generateConsoleKey();
      await loadDemoActivity({
        db: database.db,
        dataDir: dir,
        consoleKey,
        tenants: ["acme", "globex"],
        days: 4,
        requestsPerDay: 2,
        digestKey: inputDigestKey(consoleKey.privateKey),
      });
      // The demo's history counts as received when it happened: the explorer marks none of it late.
      const late = await database.db.execute(
        sql`select count(*)::int as n from events where received_at - ts > interval '10 minutes'`,
      );
      expect((late as unknown as { rows: { n: number }[] }).rows[0]?.n).toBe(0);
      const { key } = await insertApiKey(database.db, { tenant: "acme", source: "sim", createdBy: "t" });
      const res = await handleRevocations(
        database.db,
        new Request("http://console.test/api/v1/revocations?since=0", {
          headers: { authorization: `Bearer ${key}` },
        }),
      );
      const fed = (await res.json()) as { revocations: { kind: string; target: string }[] };
      expect(fed.revocations.map((r) => r.kind).sort()).toEqual(["principal", "session"]);
      const session = fed.revocations.find((r) => r.kind === "session")?.target;
      expect(session).toMatch(/^sess_bob_/);
      expect(fed.revocations.find((r) => r.kind === "principal")?.target).toBe("carol@acme.example");

      const listed = await listRevocations(database.db, investigator);
      expect(listed.map((r) => [r.tenant, r.kind, r.target, r.actor]).sort()).toEqual([
        ["acme", "principal", "carol@acme.example", "admin@console.demo"],
        ["acme", "session", session, "admin@console.demo"],
      ]);
      const [bob] = await database.db
        .select()
        .from(sessions)
        .where(and(eq(sessions.tenant, "acme"), eq(sessions.id, String(session))));
      expect(bob).toMatchObject({ revokedBy: "admin@console.demo", reportedRevokedAt: null });
      const carol = (await listSessionPrincipals(database.db, investigator)).find(
        (p) => p.principal === "carol@acme.example",
      );
      expect(carol).toMatchObject({ openSessions: 0, revoked: { by: "admin@console.demo" } });
      // The Overview lists what the feed holds (platform reports of revocations are not among them).
      const overview = await getOverview(database.db, investigator);
      expect(overview.revocations.map((r) => [r.type, r.principal ?? r.session]).sort()).toEqual([
        ["principal.revoked", "carol@acme.example"],
        ["session.revoked", session],
      ]);
      expect((await verifyTenantChain(database.db, { tenant: "acme", keys: [consoleKey] })).ok).toBe(true);
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
