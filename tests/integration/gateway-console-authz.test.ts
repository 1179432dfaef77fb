import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { events, gatewayClients, gatewayRules } from "@/db/schema";
import { type Authority, ForbiddenError } from "@/lib/auth/authority";
import { createTestClock } from "@/lib/capability";
import { issueEscalationSchema, issueGatewayEscalationSchema } from "@/lib/data/escalations";
import {
  addGatewayRule,
  deleteGatewayRule,
  gatewayRuleInputSchema,
  issueGatewayClient,
  issueGatewayClientSchema,
  listGatewayClients,
  listGatewayRules,
  revokeGatewayClient,
  updateGatewayRule,
  updateGatewayRuleSchema,
} from "@/lib/data/gateway";
import {
  createGatewayEscalationRequest,
  dismissGatewayEscalationRequest,
  findGatewayRequestsByDeniedEvent,
  grantGatewayEscalationRequest,
  listGatewayEscalationRequests,
} from "@/lib/data/gateway-requests";
import { NotFoundError } from "@/lib/errors";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { backends, dumpAllTables } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";

// Issue 14: every data function of the console's gateway side checks the role and the tenant
// itself (the actions' guard is not the only check), writes its console.gateway.* audit event
// with the change, and a refusal changes nothing.

const DIGEST = `hmac-sha256:${"9".repeat(64)}`;

describe.each(backends)("gateway data functions: authorization and audit on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let investigator: Authority;
  let viewer: Authority;
  let globexAdmin: Authority;
  const consoleKey = generateConsoleKey();
  const clock = createTestClock(Date.now());
  let clientId: string;
  let ruleId: string;
  let requestIds: string[];

  const clientInput = (tenant = "acme") =>
    issueGatewayClientSchema.parse({
      tenant,
      name: "bot",
      principal: "alice@acme.example",
      agent: "support-bot",
      groups: "support",
    });
  const ruleInput = (tenant = "acme") =>
    gatewayRuleInputSchema.parse({ tenant, subjectKind: "agent", subjectValue: "support-bot", tool: "fs.*" });
  const ruleChange = (id: string) =>
    updateGatewayRuleSchema.parse({ id, subjectKind: "any", tool: "fs.read_file", note: "changed" });

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    admin = await signedIn(database.db, { email: "admin@acme.test", role: "admin", tenants: ["acme"] });
    investigator = await signedIn(database.db, {
      email: "investigator@acme.test",
      role: "investigator",
      tenants: ["acme"],
    });
    viewer = await signedIn(database.db, { email: "viewer@acme.test", role: "viewer", tenants: ["acme"] });
    globexAdmin = await signedIn(database.db, {
      email: "admin@globex.test",
      role: "admin",
      tenants: ["globex"],
    });
    clientId = (await issueGatewayClient(database.db, admin, clientInput())).id;
    ruleId = (await addGatewayRule(database.db, admin, ruleInput())).id;
    requestIds = [];
    for (const path of ["/a", "/b"]) {
      const { response } = await createGatewayEscalationRequest(
        database.db,
        { tenant: "acme", source: "gateway" },
        {
          client: clientId,
          principal: "alice@acme.example",
          agent: "support-bot",
          session: "sess_gw_authz",
          operation: {
            tool: "fs.write_file",
            resourceType: "File",
            resourceId: path,
            action: "write",
            argDigest: DIGEST,
          },
          missing: "no rule allows it",
          deniedEvent: `denied-${path}`,
        },
        { clock },
      );
      requestIds.push(response.id);
    }
  });
  afterAll(async () => {
    await database?.close();
  });

  it("refuses every write to viewers, investigators and another tenant's admin, changing nothing", async () => {
    const before = await dumpAllTables(database.db);
    const deps = { consoleKey, clock };
    const writes: [string, (who: Authority) => Promise<unknown>][] = [
      ["issue client", (who) => issueGatewayClient(database.db, who, clientInput())],
      ["revoke client", (who) => revokeGatewayClient(database.db, who, { id: clientId })],
      ["add rule", (who) => addGatewayRule(database.db, who, ruleInput())],
      ["change rule", (who) => updateGatewayRule(database.db, who, ruleChange(ruleId))],
      ["delete rule", (who) => deleteGatewayRule(database.db, who, { id: ruleId })],
      ["grant", (who) => grantGatewayEscalationRequest(database.db, who, { id: requestIds[0] ?? "" }, deps)],
      [
        "dismiss",
        (who) =>
          dismissGatewayEscalationRequest(database.db, who, { id: requestIds[0] ?? "", reason: undefined }),
      ],
    ];
    for (const [what, write] of writes) {
      for (const who of [viewer, investigator])
        await expect(write(who), `${who.role} ${what}`).rejects.toBeInstanceOf(ForbiddenError);
      // Another tenant's admin: out of scope (forbidden) or, for an id, unknown — never "not yours".
      const err = await write(globexAdmin).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, `globex admin ${what}`).toBeInstanceOf(Error);
      expect(err instanceof ForbiddenError || err instanceof NotFoundError, `globex admin ${what}`).toBe(
        true,
      );
      expect(String((err as Error).message)).not.toMatch(/acme/);
    }
    expect(await dumpAllTables(database.db)).toBe(before);
  });

  it("lets investigators read the page and the requests, viewers nothing; lists stay in the tenant", async () => {
    expect((await listGatewayClients(database.db, investigator)).map((c) => c.id)).toEqual([clientId]);
    expect((await listGatewayRules(database.db, investigator)).map((r) => r.id)).toEqual([ruleId]);
    expect((await listGatewayEscalationRequests(database.db, investigator, { clock })).length).toBe(2);
    const byEvent = await findGatewayRequestsByDeniedEvent(database.db, investigator, [
      { tenant: "acme", eventId: "denied-/a" },
    ]);
    expect(byEvent.get("acme/denied-/a")).toEqual({ id: requestIds[0], status: "requested" });
    for (const read of [
      () => listGatewayClients(database.db, viewer),
      () => listGatewayRules(database.db, viewer),
      () => listGatewayEscalationRequests(database.db, viewer),
      () => findGatewayRequestsByDeniedEvent(database.db, viewer, []),
    ])
      await expect(read()).rejects.toBeInstanceOf(ForbiddenError);
    expect(await listGatewayClients(database.db, globexAdmin)).toEqual([]);
    expect(await listGatewayRules(database.db, globexAdmin)).toEqual([]);
    expect(await listGatewayEscalationRequests(database.db, globexAdmin)).toEqual([]);
    const foreign = await findGatewayRequestsByDeniedEvent(database.db, globexAdmin, [
      { tenant: "acme", eventId: "denied-/a" },
    ]);
    expect(foreign.size).toBe(0);
    // Never a credential's hash in what the page lists.
    const [row] = await database.db.select().from(gatewayClients).where(eq(gatewayClients.id, clientId));
    expect(JSON.stringify(await listGatewayClients(database.db, admin))).not.toContain(row?.credentialHash);
  });

  it("audits every change as console.gateway.* in the tenant's log", async () => {
    const spare = await issueGatewayClient(database.db, admin, clientInput());
    await revokeGatewayClient(database.db, admin, { id: spare.id });
    await expect(revokeGatewayClient(database.db, admin, { id: spare.id })).rejects.toThrow(
      /already revoked/,
    );
    const rule = await addGatewayRule(database.db, admin, ruleInput());
    await updateGatewayRule(database.db, admin, ruleChange(rule.id));
    await deleteGatewayRule(database.db, admin, { id: rule.id });
    expect(await database.db.select().from(gatewayRules).where(eq(gatewayRules.id, rule.id))).toEqual([]);
    await dismissGatewayEscalationRequest(
      database.db,
      admin,
      { id: requestIds[1] ?? "", reason: "no" },
      { clock },
    );
    const audit = await database.db
      .select({
        type: events.type,
        resourceId: events.resourceId,
        principal: events.principal,
        meta: events.meta,
      })
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.agent, "console")));
    const of = (id: string) => audit.filter((e) => e.resourceId === id).map((e) => e.type);
    expect(of(spare.id)).toEqual(["console.gateway.client_issued", "console.gateway.client_revoked"]);
    expect(of(rule.id)).toEqual([
      "console.gateway.rule_added",
      "console.gateway.rule_changed",
      "console.gateway.rule_deleted",
    ]);
    expect(of(requestIds[1] ?? "")).toEqual(["console.gateway.request_dismissed"]);
    const changed = audit.find((e) => e.type === "console.gateway.rule_changed");
    expect(changed?.meta).toMatchObject({
      before: { tool: "fs.*", subject: { kind: "agent", value: "support-bot" } },
      after: { tool: "fs.read_file", subject: { kind: "any" }, note: "changed" },
    });
    // The credential itself is in no event.
    expect(JSON.stringify(audit)).not.toContain(spare.credential);
    const gateway = audit.filter((e) => e.type.startsWith("console.gateway."));
    expect(gateway.length).toBeGreaterThanOrEqual(7);
    expect(gateway.every((e) => e.principal === admin.email)).toBe(true);
  });

  it("refuses bad client and rule input with the field named", () => {
    const client = issueGatewayClientSchema.safeParse({
      tenant: "acme",
      name: "",
      principal: "has space",
      agent: "a",
      groups: "ok, not ok!",
    });
    expect(client.success).toBe(false);
    const fields = new Set(client.error?.issues.map((i) => String(i.path[0])));
    expect([...fields].sort()).toEqual(["groups", "name", "principal"]);
    const rule = gatewayRuleInputSchema.safeParse({
      tenant: "acme",
      subjectKind: "group",
      subjectValue: "",
      tool: "fs.*.bad",
      arguments: [{ path: "a..b", match: "" }],
    });
    expect(rule.success).toBe(false);
    expect(new Set(rule.error?.issues.map((i) => String(i.path[0])))).toEqual(
      new Set(["subjectValue", "tool", "arguments"]),
    );
    expect(
      gatewayRuleInputSchema.safeParse({ tenant: "acme", subjectKind: "any", tool: "fs.*" }).success,
    ).toBe(true);
  });

  it("takes any printable resource id a call can name, kept exactly, in the form and from a gateway", () => {
    const base = {
      tenant: "acme",
      principal: "alice@acme.example",
      session: "sess_1",
      tool: "fs.write_file",
      resourceType: "File",
      action: "write",
      reason: "r",
    };
    const path = `/srv/share/Quarterly reports/${"x".repeat(900)}.txt`;
    // The console's own form: "escalate exactly this" from a denied gateway call on a file path.
    expect(issueEscalationSchema.parse({ ...base, resourceId: path }).resourceId).toBe(path);
    expect(issueGatewayEscalationSchema.parse({ ...base, resourceId: path }).resourceId).toBe(path);
    // Kept exactly: no trimming of a path that ends in a space.
    expect(issueGatewayEscalationSchema.parse({ ...base, resourceId: "/tmp/a " }).resourceId).toBe("/tmp/a ");
    expect(
      issueGatewayEscalationSchema.safeParse({ ...base, resourceId: "x".repeat(1001) }).error?.issues[0],
    ).toMatchObject({ path: ["resourceId"], message: "Keep the resource id under 1000 characters." });
    expect(issueEscalationSchema.safeParse({ ...base, resourceId: "" }).error?.issues[0]).toMatchObject({
      path: ["resourceId"],
      message: "Resource id is required.",
    });
    expect(
      issueGatewayEscalationSchema.safeParse({ ...base, resourceId: "/tmp/a\nb" }).error?.issues[0],
    ).toMatchObject({
      path: ["resourceId"],
      message: "Resource id may not contain control characters.",
    });
  });
});
