import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { events, revocations } from "@/db/schema";
import { getCapabilityDetail } from "@/lib/data/capabilities";
import { exportResponse } from "@/lib/data/events-export";
import { createSlotLimiter } from "@/lib/server/stream-slots";
import { backends } from "../support/db";
import { authority, CAP, continueChains, insertQueryFixtures } from "../support/query-fixtures";

// Issue 11, item 7: what a viewer (manager) gets. The capability page's data carries no
// revocation reason and no revoking admin's email; an export filtering on a field the role may
// not use is refused with a 403 before any byte, and writes no console.events.exported.

const ADMIN_EMAIL = "root-admin@acme.example";
const REASON = "laptop stolen at the offsite; ticket SEC-4411";

describe.each(backends)("role leaks on $name", (backend) => {
  let database: Database;
  const viewer = authority({ role: "viewer", tenants: ["acme"] });
  const investigator = authority({ role: "investigator", tenants: ["acme"] });

  beforeAll(async () => {
    database = await backend.open();
    await insertQueryFixtures(database.db);
    await continueChains(database.db);
    await database.db.insert(revocations).values({
      tenant: "acme",
      kind: "capability",
      target: CAP.C1,
      reason: REASON,
      actor: ADMIN_EMAIL,
      revokedIds: [CAP.C1, CAP.G1, CAP.G2],
      cursor: 1,
    });
  });
  afterAll(() => database.close());

  const exported = async () =>
    (
      await database.db.select({ n: count() }).from(events).where(eq(events.type, "console.events.exported"))
    )[0]?.n ?? 0;

  it("gives a viewer the revoked state of a capability without the reason or the admin's email", async () => {
    const detail = await getCapabilityDetail(database.db, viewer, { id: CAP.G1 });
    expect(detail?.status.state).toBe("revoked");
    const text = JSON.stringify(detail);
    expect(text).not.toContain(REASON);
    expect(text).not.toContain(ADMIN_EMAIL);
    expect(text).not.toContain("token-");
    // Investigators still see who revoked it and why.
    const full = await getCapabilityDetail(database.db, investigator, { id: CAP.G1 });
    expect(full?.status).toMatchObject({ state: "revoked", by: ADMIN_EMAIL, reason: REASON });
  });

  it("refuses a viewer's export filtering on a detail field with a 403 up front, and records no export", async () => {
    const before = await exported();
    for (const q of ['reason:"not Customer"', `under:${CAP.R1}`, "cap.right:Order/write", `cap:${CAP.G1}`]) {
      const res = await exportResponse(database.db, viewer, new URLSearchParams({ q, format: "csv" }), {
        slots: createSlotLimiter(2),
      });
      expect(res.status).toBe(403);
      expect(res.headers.get("content-type")).toMatch(/json/);
      const body = (await res.json()) as { error: string; field: string };
      expect(body).toMatchObject({ field: "q" });
      expect(body.error).toMatch(/needs the investigator role/);
    }
    expect(await exported()).toBe(before);
    // The same export by an investigator goes through, and is recorded.
    const ok = await exportResponse(
      database.db,
      investigator,
      new URLSearchParams({ q: 'reason:"not Customer"', format: "csv" }),
      { slots: createSlotLimiter(2) },
    );
    expect(ok.status).toBe(200);
    await ok.text();
    expect(await exported()).toBe(before + 1);
  });
});
