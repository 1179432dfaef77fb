// The MCP capability gateway end to end (issue 14): the official MCP SDK client as the agent,
// @modelcontextprotocol/server-filesystem over stdio on a temporary folder as the upstream, and
// the console's real route handlers and data layer on both backends.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { systemClock } from "@capability-console/sdk/capability";
import { createPlatformVerifier } from "@capability-console/sdk/client";
import { SessionGrants } from "@capability-console/sdk/gateway";
import type { GatewayOperation, PickedUpEscalation } from "@capability-console/sdk/schema";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { capabilities, sessions } from "@/db/schema";
import { getRequestGraph } from "@/lib/data/capabilities";
import { getGatewayEscalationRequest } from "@/lib/data/gateway-requests";
import { getPrincipalDay } from "@/lib/data/principal-day";
import { revokeSession } from "@/lib/data/revocations";
import { backends } from "../support/db";
import { type GatewayWorld, openGatewayWorld } from "./gateway-proxy-console";

const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]?.text ?? "";

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(backends)("MCP gateway in front of server-filesystem on $name", (backend) => {
  let database: Database;
  let world: GatewayWorld;
  let agent: Client;
  let dir: string;

  beforeAll(async () => {
    database = await backend.open();
    world = await openGatewayWorld(database.db);
    dir = world.dir;
    agent = await world.connect();
  }, 120_000);

  afterAll(async () => {
    await world?.close();
    await database?.close();
  });

  it("lists only the tools the console's rules grant", async () => {
    const names = (await agent.listTools()).tools.map((t) => t.name).sort();
    expect(names.length).toBeGreaterThan(1);
    expect(names.every((n) => n.startsWith("fs.read_"))).toBe(true);
    expect(names).toContain("fs.read_text_file");
    expect(names).not.toContain("fs.write_file");
  });

  it("allows a read inside the workspace and refuses one outside it", async () => {
    const ok = await agent.callTool({
      name: "fs.read_text_file",
      arguments: { path: path.join(dir, "hello.txt") },
    });
    expect(ok.isError).toBeFalsy();
    expect(text(ok)).toBe("hello from server-filesystem");
    const out = await agent.callTool({ name: "fs.read_text_file", arguments: { path: "/etc/hostname" } });
    expect(out.isError).toBe(true);
    expect(text(out)).toContain(`argument path must match ${dir}/** (got "/etc/hostname")`);
  });

  it("refuses a write naming the missing right; the grant allows the same call once", async () => {
    const target = path.join(dir, "note.txt");
    const args = { path: target, content: "written after step-up" };
    const refused = await agent.callTool({ name: "fs.write_file", arguments: args });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(
      /^refused: no rule allows fs\.write_file \(write on File .*note\.txt\) for agent support-bot \(principal alice@acme\.example\) \(escalation request [0-9a-f-]{36}: ask an admin to grant it in the console, then retry the same call\)$/,
    );
    const requestId = refused._meta?.["capconsole/escalationRequest"] as string;
    expect(refused._meta?.["capconsole/missing"]).toContain("no rule allows fs.write_file");
    const pending = await getGatewayEscalationRequest(database.db, { tenant: "acme" }, requestId);
    expect(pending?.status).toBe("requested");

    await world.grant(requestId);
    const stepped = await agent.callTool({ name: "fs.write_file", arguments: args });
    expect(stepped.isError).toBeFalsy();
    expect(await readFile(target, "utf8")).toBe("written after step-up");

    const replay = await agent.callTool({ name: "fs.write_file", arguments: args });
    expect(replay.isError).toBe(true);
    expect(text(replay)).toMatch(/^refused: no rule allows fs\.write_file/);
    const changed = await agent.callTool({
      name: "fs.write_file",
      arguments: { ...args, content: "changed" },
    });
    expect(changed.isError).toBe(true);
    expect(await readFile(target, "utf8")).toBe("written after step-up");

    await world.gateway.flushEvents();
    const session = world.sessionOf();
    const rows = await world.eventsOf(session);
    const writes = rows.filter((e) => e.type === "tool.call" && e.tool === "fs.write_file");
    expect(writes.map((e) => e.outcome)).toEqual(["denied", "allowed", "denied", "denied"]);
    expect(writes[0]?.meta).toMatchObject({
      gateway: { escalationRequest: requestId, check: "policy:no-rule" },
    });
    expect(writes[1]?.meta).toMatchObject({ gateway: { decision: "escalated" } });
    expect(writes[1]?.inputDigest).toBe(writes[0]?.inputDigest);
    expect(writes[3]?.inputDigest).not.toBe(writes[0]?.inputDigest);
  });

  it("records every decision in the console with the capability lineage", async () => {
    await world.gateway.flushEvents();
    const session = world.sessionOf();
    const rows = await world.eventsOf(session);
    const minted = rows.find((e) => e.type === "capability.minted");
    const read = rows.find(
      (e) => e.type === "tool.call" && e.tool === "fs.read_text_file" && e.outcome === "allowed",
    );
    expect(minted && read).toBeTruthy();
    expect(read?.resourceType).toBe("File");
    expect(read?.resourceId).toBe(path.join(dir, "hello.txt"));
    expect(read?.principal).toBe("alice@acme.example");
    expect(read?.meta).toMatchObject({
      gateway: { client: world.clientId, upstream: "fs", decision: "allowed" },
    });
    const [cap] = await database.db
      .select()
      .from(capabilities)
      .where(and(eq(capabilities.tenant, "acme"), eq(capabilities.id, read?.capabilityId as string)));
    expect(cap?.parentId).toBe(minted?.capabilityId);
    expect(rows.some((e) => e.tool === "tools/list")).toBe(true);

    // The request graph draws root → narrowed capabilities, and the step-up's escalation.
    const graph = await getRequestGraph(database.db, world.admin, read?.request as string, {
      tenant: "acme",
    });
    const kinds = new Set(graph?.nodes.map((n) => n.kind));
    expect(kinds).toEqual(new Set(["minted", "attenuated", "escalation"]));
    const readNode = graph?.nodes.find((n) => n.id === read?.capabilityId);
    expect(readNode?.parentId).toBe(minted?.capabilityId);
    expect(readNode?.calls.allowed).toBeGreaterThan(0);
    // Alice's day counts the gateway's calls, its denials and the escalation used.
    const day = await getPrincipalDay(database.db, world.admin, {
      principal: "alice@acme.example",
      day: (read?.ts ?? new Date()).toISOString().slice(0, 10),
    });
    expect(day.topTools.map((t) => t.name)).toEqual(
      expect.arrayContaining(["fs.read_text_file", "fs.write_file"]),
    );
    expect(day.totals.denied).toBeGreaterThanOrEqual(3);
    expect(day.totals.escalationsUsed).toBeGreaterThanOrEqual(1);
  });

  it("an unknown tool is a clear MCP error and still recorded", async () => {
    await expect(agent.callTool({ name: "fs.delete_everything", arguments: {} })).rejects.toThrow(
      /unknown tool "fs\.delete_everything"/,
    );
    await world.gateway.flushEvents();
    const rows = await world.eventsOf(world.sessionOf());
    expect(rows.find((e) => e.tool === "fs.delete_everything")?.outcome).toBe("error");
  });

  it("a pick-up answer naming another operation than its token is refused before the use is spent", async () => {
    const target = path.join(dir, "tamper.txt");
    const args = { path: target, content: "only this file" };
    const refused = await agent.callTool({ name: "fs.write_file", arguments: args });
    expect(refused.isError).toBe(true);
    const requestId = refused._meta?.["capconsole/escalationRequest"] as string;
    const op = refused._meta?.["capconsole/operation"] as GatewayOperation;
    await world.grant(requestId);
    const consoleOptions = { baseUrl: world.served.url, apiKey: world.served.apiKey };
    const verifier = await createPlatformVerifier({ ...consoleOptions, clock: systemClock });
    try {
      const grants = new SessionGrants({
        console: consoleOptions,
        clock: systemClock,
        verifier,
        session: world.sessionOf(),
      });
      const grant = (await grants.find(op)) as PickedUpEscalation;
      expect(grant.operation.resourceId).toBe(target);
      // A pick-up answer rewritten to name another file than the one its signed token covers.
      const elsewhere = { ...op, resourceId: path.join(dir, "elsewhere.txt") };
      const forged = { ...grant, operation: { ...grant.operation, resourceId: elsewhere.resourceId } };
      const used = await grants.use(forged, elsewhere);
      expect(used).toMatchObject({ allowed: false, code: "token_mismatch" });
      if (!used.allowed) expect(used.reason).toContain("the escalation's token does not authorize this call");
      // Its one use was not spent: the genuine operation is still allowed, once.
      expect((await grants.use(grant, op)).allowed).toBe(true);
      expect((await grants.use(grant, op)).allowed).toBe(false);
    } finally {
      verifier.close();
    }
  });

  it("revoking the session in the console refuses the next call within 2 s", async () => {
    const session = world.sessionOf();
    await world.gateway.flushEvents();
    await until("the session row", async () => {
      const [s] = await database.db
        .select()
        .from(sessions)
        .where(and(eq(sessions.tenant, "acme"), eq(sessions.id, session)));
      return s;
    });
    const started = performance.now();
    await revokeSession(database.db, world.admin, { tenant: "acme", session, reason: "integration test" });
    let refusedAfter = Number.POSITIVE_INFINITY;
    for (;;) {
      const r = await agent.callTool({
        name: "fs.read_text_file",
        arguments: { path: path.join(dir, "hello.txt") },
      });
      if (r.isError) {
        refusedAfter = performance.now() - started;
        expect(text(r)).toBe(`refused: session ${session} is revoked; this session can no longer call tools`);
        break;
      }
      if (performance.now() - started > 5000) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    // The stated bound (docs/gateway.md); the bench reports the measured figure.
    expect(refusedAfter).toBeLessThanOrEqual(2000);
  });
});
