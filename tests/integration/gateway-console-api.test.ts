import { createHash } from "node:crypto";
import {
  fetchGatewayConfig,
  getGatewayEscalationRequest,
  pickUpEscalations,
  requestGatewayEscalation,
  useEscalation,
} from "@capability-console/sdk/client";
import { type GatewayOperation, gatewayConfigResponseSchema } from "@capability-console/sdk/schema";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { capabilities, escalations, events, issuers, tenants } from "@/db/schema";
import { handleGatewayEscalationRequest } from "@/lib/api/gateway-routes";
import type { Authority } from "@/lib/auth/authority";
import { capabilityResourceId, createTestClock } from "@/lib/capability";
import { insertApiKey } from "@/lib/data/api-keys";
import { approveEscalation, rejectEscalation } from "@/lib/data/escalations";
import {
  addGatewayRule,
  gatewayRuleInputSchema,
  issueGatewayClient,
  issueGatewayClientSchema,
  revokeGatewayClient,
  updateGatewayRule,
  updateGatewayRuleSchema,
} from "@/lib/data/gateway";
import {
  dismissGatewayEscalationRequest,
  GATEWAY_REQUEST_MAX_AGE_MS,
  grantGatewayEscalationRequest,
  listGatewayEscalationRequests,
} from "@/lib/data/gateway-requests";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { serveGatewayApi } from "../support/gateway-console";

// Issue 14, the console side of the MCP gateway, through the SDK's own client functions against
// the real route handlers served over HTTP: the config document with its ETag, escalation
// requests (idempotent), and the grant flow down to the single use of the escalation.

const digest = (c: string) => `hmac-sha256:${c.repeat(64)}`;
const PATH = `/srv/share/Quarterly reports (final)/${"deep/".repeat(60)}notes.txt`;

describe.each(backends)("gateway console API on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let admin2: Authority;
  let globexAdmin: Authority;
  let acmeKey: string;
  let globexKey: string;
  let server: { url: string; close: () => void };
  const consoleKey = generateConsoleKey();
  const clock = createTestClock(Date.now());
  const deps = { consoleKey, clock };
  const acme = () => ({ baseUrl: server.url, apiKey: acmeKey });
  const globex = () => ({ baseUrl: server.url, apiKey: globexKey });
  let client: { id: string; credential: string };
  let globexClient: { id: string; credential: string };

  const operation = (over: Partial<GatewayOperation> = {}): GatewayOperation => ({
    tool: "fs.write_file",
    resourceType: "File",
    resourceId: "/tmp/x/a.txt",
    action: "write",
    argDigest: digest("a"),
    ...over,
  });
  const request = (over: { session?: string; operation?: GatewayOperation; client?: string } = {}) => ({
    client: over.client ?? client.id,
    principal: "alice@acme.example",
    agent: "support-bot",
    session: over.session ?? "sess_gw_1",
    operation: over.operation ?? operation(),
    missing: "no rule allows fs.write_file on File for agent support-bot",
    deniedEvent: "01936f4e-6c1a-7b7e-9d5e-2a9c1f0b4e21",
  });
  const post = (body: unknown, key = acmeKey) =>
    fetch(`${server.url}/api/v1/gateway/escalation-requests`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    admin = await signedIn(database.db, { email: "admin@acme.test", role: "admin", tenants: ["acme"] });
    admin2 = await signedIn(database.db, { email: "second@acme.test", role: "admin", tenants: ["acme"] });
    globexAdmin = await signedIn(database.db, {
      email: "admin@globex.test",
      role: "admin",
      tenants: ["globex"],
    });
    acmeKey = (await insertApiKey(database.db, { tenant: "acme", source: "gateway", createdBy: "t" })).key;
    globexKey = (await insertApiKey(database.db, { tenant: "globex", source: "gateway", createdBy: "t" }))
      .key;
    await database.db
      .insert(issuers)
      .values({ kid: consoleKey.kid, tenant: null, publicKey: consoleKey.publicKey });
    client = await issueGatewayClient(
      database.db,
      admin,
      issueGatewayClientSchema.parse({
        tenant: "acme",
        name: "support bot",
        principal: "alice@acme.example",
        agent: "support-bot",
        groups: "support, readers",
      }),
    );
    globexClient = await issueGatewayClient(
      database.db,
      globexAdmin,
      issueGatewayClientSchema.parse({
        tenant: "globex",
        name: "globex bot",
        principal: "gus@globex.example",
        agent: "globex-bot",
        groups: [],
      }),
    );
    server = await serveGatewayApi({ db: () => database.db, clock, consoleKey });
  });
  afterAll(async () => {
    server?.close();
    await database?.close();
  });

  it("serves the key's tenant's config with an ETag, 304 while unchanged, revoked clients marked", async () => {
    expect(client.credential).toMatch(/^gwc_[A-Za-z0-9_-]{43}$/);
    const rule = await addGatewayRule(
      database.db,
      admin,
      gatewayRuleInputSchema.parse({
        tenant: "acme",
        subjectKind: "group",
        subjectValue: "readers",
        tool: "fs.read_*",
        arguments: [{ path: "path", match: "/tmp/x/**" }],
        note: "readers read /tmp/x",
      }),
    );
    const first = await fetchGatewayConfig(acme());
    if (first.notModified) throw new Error("expected a document");
    expect(gatewayConfigResponseSchema.parse(first.config)).toEqual(first.config);
    expect(first.etag).toBe(`"${first.config.version}"`);
    expect(first.config.tenant).toBe("acme");
    expect(first.config.clients).toEqual([
      {
        id: client.id,
        name: "support bot",
        principal: "alice@acme.example",
        agent: "support-bot",
        groups: ["support", "readers"],
        credentialSha256: createHash("sha256").update(client.credential).digest("hex"),
        revoked: false,
      },
    ]);
    expect(first.config.rules).toEqual([
      {
        id: rule.id,
        subject: { kind: "group", value: "readers" },
        tool: "fs.read_*",
        arguments: [{ path: "path", match: "/tmp/x/**" }],
        note: "readers read /tmp/x",
      },
    ]);
    // Never the credential itself.
    expect(JSON.stringify(first.config)).not.toContain(client.credential);

    expect(await fetchGatewayConfig(acme(), first.etag)).toEqual({ notModified: true });
    const raw = await fetch(`${server.url}/api/v1/gateway/config`, {
      headers: { authorization: `Bearer ${acmeKey}`, "if-none-match": `W/${first.etag}, "other"` },
    });
    expect(raw.status).toBe(304);
    expect(raw.headers.get("etag")).toBe(first.etag);
    expect(await raw.text()).toBe("");

    // A rule change and a revocation each give a new version.
    await updateGatewayRule(
      database.db,
      admin,
      updateGatewayRuleSchema.parse({
        id: rule.id,
        subjectKind: "group",
        subjectValue: "readers",
        tool: "fs.read_*",
        arguments: [{ path: "path", match: "/tmp/y/**" }],
        note: "moved",
      }),
    );
    const second = await fetchGatewayConfig(acme(), first.etag);
    if (second.notModified) throw new Error("a rule change must change the version");
    expect(second.config.rules[0]?.arguments).toEqual([{ path: "path", match: "/tmp/y/**" }]);
    const spare = await issueGatewayClient(
      database.db,
      admin,
      issueGatewayClientSchema.parse({
        tenant: "acme",
        name: "spare",
        principal: "bob@acme.example",
        agent: "spare-bot",
        groups: "",
      }),
    );
    await revokeGatewayClient(database.db, admin, { id: spare.id });
    const third = await fetchGatewayConfig(acme(), second.etag);
    if (third.notModified) throw new Error("a revocation must change the version");
    expect(third.config.clients.find((c) => c.id === spare.id)?.revoked).toBe(true);
    expect(third.config.clients.find((c) => c.id === client.id)?.revoked).toBe(false);

    // Tenant isolation: globex's key sees globex's client only, nothing of acme.
    const theirs = await fetchGatewayConfig(globex());
    if (theirs.notModified) throw new Error("expected a document");
    expect(theirs.config.clients.map((c) => c.id)).toEqual([globexClient.id]);
    expect(theirs.config.rules).toEqual([]);
    expect(JSON.stringify(theirs.config)).not.toMatch(/acme|alice|support-bot/);

    for (const authorization of [undefined, "Bearer cck_not-a-real-key-000000000000000", client.credential]) {
      const res = await fetch(`${server.url}/api/v1/gateway/config`, {
        headers: authorization ? { authorization } : {},
      });
      expect(res.status).toBe(401);
    }
  });

  it("refuses bad input with a 4xx naming the field, and another tenant's ids with 404", async () => {
    const cases: [unknown, number, string][] = [
      ["{not json", 400, "body"],
      [{ ...request(), operation: { ...operation(), argDigest: "sha1:00" } }, 400, "operation.argDigest"],
      [
        { ...request(), operation: { ...operation(), resourceId: "x".repeat(1001) } },
        400,
        "operation.resourceId",
      ],
      [{ ...request(), session: "has space" }, 400, "session"],
      [{ ...request(), extra: 1 }, 400, ""],
      [{ ...request(), client: "not-a-uuid" }, 400, "client"],
      [{ ...request(), principal: "mallory@acme.example" }, 400, "principal"],
      [{ ...request(), agent: "other-bot" }, 400, "agent"],
      [request({ client: globexClient.id }), 404, "client"],
      [request({ client: "00000000-0000-4000-8000-000000000000" }), 404, "client"],
    ];
    for (const [body, status, field] of cases) {
      const res = await post(body);
      const answer = (await res.json()) as { error: string; field?: string };
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      if (field) expect(answer.field).toBe(field);
      expect(answer.error).toBeTruthy();
    }
    // Over 64 KiB: refused before parsing (in-process: a test server's stream adapter would
    // complain about the body it no longer reads).
    const big = await handleGatewayEscalationRequest(
      database.db,
      new Request("http://console.test/api/v1/gateway/escalation-requests", {
        method: "POST",
        headers: { authorization: `Bearer ${acmeKey}`, "content-type": "application/json" },
        body: JSON.stringify({ ...request(), missing: "x".repeat(70_000) }),
      }),
    );
    expect(big.status).toBe(413);

    const created = await requestGatewayEscalation(acme(), request({ session: "sess_gw_iso" }));
    for (const id of [created.id, "not-a-uuid", "00000000-0000-4000-8000-000000000000"]) {
      const res = await fetch(`${server.url}/api/v1/gateway/escalation-requests/${id}`, {
        headers: { authorization: `Bearer ${globexKey}` },
      });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain("acme");
    }
    await expect(getGatewayEscalationRequest(globex(), created.id)).rejects.toMatchObject({ status: 404 });
    expect(await getGatewayEscalationRequest(acme(), created.id)).toEqual({
      id: created.id,
      status: "requested",
      escalation: null,
    });
  });

  it("creates a request once per session and operation (201, then 200 with the same id)", async () => {
    const body = request({ session: "sess_gw_idem" });
    const first = await post(body);
    const second = await post(body);
    expect([first.status, second.status]).toEqual([201, 200]);
    const a = (await first.json()) as { id: string };
    const b = (await second.json()) as { id: string };
    expect(b.id).toBe(a.id);
    // Concurrent retries of the same refusal still make one request.
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => requestGatewayEscalation(acme(), request({ session: "sess_gw_race" }))),
    );
    expect(new Set(racing.map((r) => r.id)).size).toBe(1);
    // Another argument digest or session is another request.
    const other = await requestGatewayEscalation(
      acme(),
      request({ session: "sess_gw_idem", operation: operation({ argDigest: digest("b") }) }),
    );
    expect(other.id).not.toBe(a.id);
    const recorded = await database.db
      .select()
      .from(events)
      .where(
        and(
          eq(events.tenant, "acme"),
          eq(events.type, "escalation.requested"),
          eq(events.session, "sess_gw_idem"),
        ),
      );
    expect(recorded).toHaveLength(2);
    const one = recorded.find((e) => (e.meta as { gatewayRequestId?: string }).gatewayRequestId === a.id);
    expect(one).toMatchObject({
      principal: "alice@acme.example",
      agent: "support-bot",
      tool: "fs.write_file",
      resourceType: "File",
      resourceId: "/tmp/x/a.txt",
      action: "write",
      inputDigest: digest("a"),
    });
    expect(one?.meta).toMatchObject({
      argDigest: digest("a"),
      missing: body.missing,
      deniedEvent: body.deniedEvent,
      client: client.id,
    });
  });

  it("grants exactly the operation: picked up once, used once; a replay and a changed argument refused", async () => {
    const op = operation({ resourceId: PATH, argDigest: digest("c") });
    const req = await requestGatewayEscalation(acme(), request({ session: "sess_gw_grant", operation: op }));
    const granted = await grantGatewayEscalationRequest(database.db, admin, { id: req.id }, deps);
    expect(granted.escalationStatus).toBe("active");
    expect(await getGatewayEscalationRequest(acme(), req.id)).toEqual({
      id: req.id,
      status: "granted",
      escalation: granted.escalation,
    });
    const [row] = await database.db.select().from(escalations).where(eq(escalations.id, granted.escalation));
    expect(row).toMatchObject({
      tenant: "acme",
      principal: "alice@acme.example",
      session: "sess_gw_grant",
      agent: "support-bot",
      singleUse: true,
      delivery: "platform",
      ttlSeconds: 60,
      status: "active",
      grantedBy: admin.email,
    });
    expect(row?.operation).toEqual(op);
    await expect(grantGatewayEscalationRequest(database.db, admin, { id: req.id }, deps)).rejects.toThrow(
      /already granted/,
    );

    const grants = await pickUpEscalations(acme(), "sess_gw_grant");
    expect(grants).toHaveLength(1);
    const grant = grants[0];
    if (!grant) throw new Error("no grant");
    expect(grant.operation).toEqual(op);
    expect(await pickUpEscalations(acme(), "sess_gw_grant")).toEqual([]);
    // The token names the long path by its digest; the row keeps the whole path.
    const [cap] = await database.db
      .select()
      .from(capabilities)
      .where(eq(capabilities.id, grant.capabilityId));
    expect(JSON.stringify(cap?.summary)).toContain(capabilityResourceId(PATH));
    expect(capabilityResourceId(PATH)).toMatch(/^sha256:[0-9a-f]{64}$/);

    const changed = await useEscalation(acme(), grant, { ...op, argDigest: digest("d") });
    expect(changed).toMatchObject({ allowed: false, code: "operation_mismatch" });
    const otherPath = await useEscalation(acme(), grant, { ...op, resourceId: `${PATH}x` });
    expect(otherPath).toMatchObject({ allowed: false, code: "operation_mismatch" });
    expect(await useEscalation(acme(), grant, op)).toMatchObject({ allowed: true });
    expect(await useEscalation(acme(), grant, op)).toMatchObject({ allowed: false, code: "used" });
    // Still "granted" for the gateway: the grant was given; its use is the escalation's business.
    expect((await getGatewayEscalationRequest(acme(), req.id)).status).toBe("granted");
  });

  it("honours the two-person rule: requested until a second admin approves; a rejection reads dismissed", async () => {
    await database.db
      .update(tenants)
      .set({ settings: { twoPersonEscalations: true } })
      .where(eq(tenants.id, "acme"));
    try {
      const op = operation({ argDigest: digest("e") });
      const req = await requestGatewayEscalation(acme(), request({ session: "sess_gw_two", operation: op }));
      const granted = await grantGatewayEscalationRequest(database.db, admin, { id: req.id }, deps);
      expect(granted.escalationStatus).toBe("pending");
      expect(await getGatewayEscalationRequest(acme(), req.id)).toEqual({
        id: req.id,
        status: "requested",
        escalation: granted.escalation,
      });
      expect(await pickUpEscalations(acme(), "sess_gw_two")).toEqual([]);
      await expect(approveEscalation(database.db, admin, { id: granted.escalation }, deps)).rejects.toThrow(
        /second admin/,
      );
      await approveEscalation(database.db, admin2, { id: granted.escalation }, deps);
      expect((await getGatewayEscalationRequest(acme(), req.id)).status).toBe("granted");
      const [grant] = await pickUpEscalations(acme(), "sess_gw_two");
      expect(grant?.operation).toEqual(op);

      const rejected = await requestGatewayEscalation(
        acme(),
        request({ session: "sess_gw_two", operation: operation({ argDigest: digest("f") }) }),
      );
      const pending = await grantGatewayEscalationRequest(database.db, admin, { id: rejected.id }, deps);
      await rejectEscalation(database.db, admin2, { id: pending.escalation }, { clock });
      expect((await getGatewayEscalationRequest(acme(), rejected.id)).status).toBe("dismissed");
    } finally {
      await database.db.update(tenants).set({ settings: {} }).where(eq(tenants.id, "acme"));
    }
  });

  it("dismisses: the gateway reads dismissed, nothing is issued, and a new refusal asks again", async () => {
    const body = request({ session: "sess_gw_dismiss" });
    const req = await requestGatewayEscalation(acme(), body);
    await dismissGatewayEscalationRequest(database.db, admin, { id: req.id, reason: "not today" }, { clock });
    expect(await getGatewayEscalationRequest(acme(), req.id)).toEqual({
      id: req.id,
      status: "dismissed",
      escalation: null,
    });
    await expect(grantGatewayEscalationRequest(database.db, admin, { id: req.id }, deps)).rejects.toThrow(
      /already dismissed/,
    );
    expect(
      await database.db.select().from(escalations).where(eq(escalations.session, "sess_gw_dismiss")),
    ).toEqual([]);
    const [audit] = await database.db
      .select()
      .from(events)
      .where(and(eq(events.type, "console.gateway.request_dismissed"), eq(events.resourceId, req.id)));
    expect(audit).toMatchObject({ tenant: "acme", principal: admin.email, reason: "not today" });
    const again = await requestGatewayEscalation(acme(), body);
    expect(again.id).not.toBe(req.id);
    expect(again.status).toBe("requested");
  });

  // Last: it moves the clock 30 minutes on.
  it("expires a request nobody granted within 30 minutes", async () => {
    const body = request({ session: "sess_gw_expire" });
    const req = await requestGatewayEscalation(acme(), body);
    clock.advance(GATEWAY_REQUEST_MAX_AGE_MS - 1);
    expect((await getGatewayEscalationRequest(acme(), req.id)).status).toBe("requested");
    clock.advance(1);
    expect((await getGatewayEscalationRequest(acme(), req.id)).status).toBe("expired");
    await expect(grantGatewayEscalationRequest(database.db, admin, { id: req.id }, deps)).rejects.toThrow(
      /lapsed/,
    );
    await expect(
      dismissGatewayEscalationRequest(database.db, admin, { id: req.id, reason: undefined }, { clock }),
    ).rejects.toThrow(/lapsed/);
    const listed = await listGatewayEscalationRequests(database.db, admin, { clock });
    expect(listed.find((r) => r.id === req.id)?.status).toBe("expired");
    // The gateway's next refusal of the same call is a new, open request.
    const res = await post(body);
    expect(res.status).toBe(201);
    const fresh = (await res.json()) as { id: string; status: string };
    expect(fresh.id).not.toBe(req.id);
    expect(fresh.status).toBe("requested");
    expect((await getGatewayEscalationRequest(acme(), req.id)).status).toBe("expired");
  });
});
