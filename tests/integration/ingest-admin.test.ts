import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { apiKeys, events } from "@/db/schema";
import { checkpointMovedHeads } from "@/lib/audit/checkpointer";
import { type Authority, ForbiddenError } from "@/lib/auth/authority";
import { createApiKey, listApiKeys, revokeApiKey, verifyAuditLog } from "@/lib/data/api-keys-admin";
import { ConflictError, NotFoundError } from "@/lib/data/console-users";
import { handleIngest } from "@/lib/ingest";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { ingestRequest, makeEvent, signer, verifyKeys } from "../support/ingest-fixtures";

describe.each(backends)("ingest keys and log verification from the Admin page on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let acmeAdmin: Authority;
  let investigator: Authority;

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    admin = await signedIn(database.db, { email: "root@x.test", role: "admin", tenants: ["acme", "globex"] });
    acmeAdmin = await signedIn(database.db, { email: "acme@x.test", role: "admin", tenants: ["acme"] });
    investigator = await signedIn(database.db, {
      email: "inv@x.test",
      role: "investigator",
      tenants: ["acme"],
    });
  });
  afterAll(() => database.close());

  it("creates a key that ingests, shown once and stored hashed, audited in the same tenant", async () => {
    const created = await createApiKey(database.db, acmeAdmin, { tenant: "acme", source: "billing-agent" });
    expect(created.key).toMatch(/^cck_/);
    const [row] = await database.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row?.keyHash).not.toContain(created.key);
    expect(JSON.stringify(await listApiKeys(database.db, acmeAdmin))).not.toContain(created.key);
    const res = await handleIngest(database.db, ingestRequest(created.key, { events: [makeEvent("acme")] }));
    expect(res.status).toBe(200);
    const audit = await database.db
      .select()
      .from(events)
      .where(and(eq(events.type, "console.api_key.created"), eq(events.resourceId, created.id)));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ tenant: "acme", principal: "acme@x.test" });
    await expect(
      createApiKey(database.db, acmeAdmin, { tenant: "acme", source: "billing-agent" }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it("revokes: the key is refused at once, the revocation audited", async () => {
    const created = await createApiKey(database.db, admin, { tenant: "acme", source: "to-revoke" });
    await revokeApiKey(database.db, acmeAdmin, { id: created.id });
    const res = await handleIngest(database.db, ingestRequest(created.key, { events: [makeEvent("acme")] }));
    expect(res.status).toBe(401);
    expect(
      await database.db
        .select()
        .from(events)
        .where(and(eq(events.type, "console.api_key.revoked"), eq(events.resourceId, created.id))),
    ).toHaveLength(1);
  });

  it("keeps admins inside their tenants and refuses other roles", async () => {
    await expect(
      createApiKey(database.db, acmeAdmin, { tenant: "globex", source: "x" }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const globexKey = await createApiKey(database.db, admin, { tenant: "globex", source: "g" });
    await expect(revokeApiKey(database.db, acmeAdmin, { id: globexKey.id })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect((await listApiKeys(database.db, acmeAdmin)).map((k) => k.tenant)).not.toContain("globex");
    await expect(listApiKeys(database.db, investigator)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      createApiKey(database.db, investigator, { tenant: "acme", source: "y" }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      verifyAuditLog(database.db, investigator, { input: {}, keys: verifyKeys }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      verifyAuditLog(database.db, acmeAdmin, { input: { tenant: "globex" }, keys: verifyKeys }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("verifies the admin's tenants, records it as console.audit.verified, sealed by the checkpointer", async () => {
    const results = await verifyAuditLog(database.db, acmeAdmin, { input: {}, keys: verifyKeys });
    expect(results.map((r) => [r.tenant, r.ok])).toEqual([["acme", true]]);
    const [recorded] = await database.db
      .select()
      .from(events)
      .where(eq(events.type, "console.audit.verified"));
    expect(recorded).toMatchObject({
      tenant: "acme",
      principal: "acme@x.test",
      meta: expect.objectContaining({ ok: true }),
    });
    await checkpointMovedHeads(database.db, { signer });
    const again = await verifyAuditLog(database.db, acmeAdmin, { input: {}, keys: verifyKeys });
    // The first verification's own event was sealed by the next round: the head it left is signed.
    expect(again[0]?.ok).toBe(true);
    expect(again[0]?.latestCheckpoint?.seq).toBe(again[0]?.headSeq);
  });
});
