import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { sessions } from "@/db/schema";
import { storeBatch } from "@/lib/ingest/store";
import { validateBatch } from "@/lib/ingest/validate";
import { backends } from "../support/db";
import { makeEvent } from "../support/ingest-fixtures";

describe.each(backends)("sessions from ingested events on $name", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(() => database.close());

  const store = async (events: Record<string, unknown>[]) => {
    const checked = validateBatch({ events });
    if (!checked.ok) throw new Error(JSON.stringify(checked.details ?? checked.error));
    return storeBatch(database.db, {
      tenant: "acme",
      source: "test-platform",
      events: checked.events,
    });
  };

  it("marks a reported principal revocation on that principal's sessions only, and a session revocation on its session", async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 10, 26, 9, m)).toISOString();
    await store([
      makeEvent("acme", { principal: "carol@acme.example", session: "sess_c1", ts: at(0) }),
      makeEvent("acme", { principal: "carol@acme.example", session: "sess_c2", ts: at(1) }),
      makeEvent("acme", { principal: "bob@acme.example", session: "sess_b1", ts: at(2) }),
      makeEvent("acme", { principal: "bob@acme.example", session: "sess_b2", ts: at(3) }),
    ]);
    const revoke = (type: string, over: Record<string, unknown>) => {
      const {
        capability: _c,
        tool: _t,
        action: _a,
        resource: _r,
        fields: _f,
        inputDigest: _i,
        latencyMs: _l,
        ...rest
      } = makeEvent("acme", over);
      return {
        ...rest,
        type,
        agent: "console",
        reason: "left the company",
        meta: { actor: "admin@acme.example" },
      };
    };
    await store([
      revoke("principal.revoked", { principal: "carol@acme.example", session: null, ts: at(10) }),
      revoke("session.revoked", { principal: "bob@acme.example", session: "sess_b1", ts: at(11) }),
    ]);
    const rows = await database.db.select().from(sessions).where(eq(sessions.tenant, "acme"));
    // Reports of the platform, under the key's source: never the console's revoked_* columns, and
    // never the meta.actor the platform wrote (issue 11).
    const state = Object.fromEntries(
      rows.map((r) => [
        r.id,
        r.revokedAt ? "revoked" : r.reportedRevokedAt ? `${r.reportedBy}: ${r.reportedReason}` : "live",
      ]),
    );
    expect(state).toEqual({
      sess_c1: "test-platform: left the company",
      sess_c2: "test-platform: left the company",
      sess_b1: "test-platform: left the company",
      sess_b2: "live",
    });
  });
});
