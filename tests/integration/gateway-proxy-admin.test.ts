// What an admin does in the console reaches the gateway's next call: a new rule, a revoked client,
// a revoked principal or capability; and what an agent gets wrong (malformed JSON-RPC, oversized
// arguments, another tenant's credential) is a clear MCP error, recorded where it can be.
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import {
  addGatewayRule,
  gatewayRuleInputSchema,
  issueGatewayClient,
  revokeGatewayClient,
} from "@/lib/data/gateway";
import { revokeCapability, revokePrincipal } from "@/lib/data/revocations";
import { backends } from "../support/db";
import { type GatewayWorld, openGatewayWorld } from "./gateway-proxy-console";

const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]?.text ?? "";

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(backends)("MCP gateway and console admin actions on $name", (backend) => {
  let database: Database;
  let world: GatewayWorld;

  beforeAll(async () => {
    database = await backend.open();
    world = await openGatewayWorld(database.db, { config: { maxArgumentBytes: 2048 } });
  }, 120_000);

  afterAll(async () => {
    await world?.close();
    await database?.close();
  });

  const read = (agent: Client) =>
    agent.callTool({ name: "fs.read_text_file", arguments: { path: path.join(world.dir, "hello.txt") } });

  it("a rule added in the console applies to the next call", async () => {
    const agent = await world.connect();
    const target = path.join(world.dir, "pub", "x.txt");
    const before = await agent.callTool({ name: "fs.write_file", arguments: { path: target, content: "x" } });
    expect(before.isError).toBe(true);
    await addGatewayRule(
      database.db,
      world.admin,
      gatewayRuleInputSchema.parse({
        tenant: "acme",
        subjectKind: "group",
        subjectValue: "support",
        tool: "fs.write_file",
        arguments: [{ path: "path", match: `${world.dir}/pub/*` }],
      }),
    );
    const names = await eventually(
      async () => (await agent.listTools()).tools.map((t) => t.name),
      (n) => n.includes("fs.write_file"),
    );
    expect(names).toContain("fs.write_file");
    await mkdir(path.dirname(target), { recursive: true });
    const after = await agent.callTool({ name: "fs.write_file", arguments: { path: target, content: "x" } });
    expect(after.isError).toBeFalsy();
    expect(await readFile(target, "utf8")).toBe("x");
    const outside = await agent.callTool({
      name: "fs.write_file",
      arguments: { path: path.join(world.dir, "x.txt"), content: "x" },
    });
    expect(text(outside)).toMatch(/^refused: .*argument path must match/);
  });

  it("malformed JSON-RPC, oversized arguments and another tenant's credential get clear errors", async () => {
    const agent = await world.connect();
    await expect(
      agent.callTool({ name: "fs.read_text_file", arguments: { path: "x".repeat(3000) } }),
    ).rejects.toThrow(/arguments of fs\.read_text_file are \d+ bytes; this gateway accepts at most 2048/);
    await world.gateway.flushEvents();
    const rows = await world.eventsOf(world.sessionOf());
    expect(rows.find((e) => e.meta && JSON.stringify(e.meta).includes("argument-size"))?.outcome).toBe(
      "error",
    );

    const res = await fetch(`${world.gateway.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${world.credential}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: '{"jsonrpc": "2.0", "method": ',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: -32700 } });

    const globex = await issueGatewayClient(database.db, world.admin, {
      tenant: "globex",
      name: "globex bot",
      principal: "gina@globex.example",
      agent: "support-bot",
      groups: [],
    });
    await expect(world.connect(globex.credential)).rejects.toThrow(/unknown gateway client credential/);
  });

  it("revoking the principal or the session's root capability refuses the next call", async () => {
    const a = await world.connect();
    expect((await read(a)).isError).toBeFalsy();
    await world.gateway.flushEvents();
    const root = (await world.eventsOf(world.sessionOf())).find((e) => e.type === "capability.minted");
    await revokeCapability(database.db, world.admin, {
      tenant: "acme",
      capabilityId: root?.capabilityId as string,
      reason: "test",
    });
    const refused = await eventually(
      () => read(a),
      (r) => Boolean(r.isError),
    );
    expect(text(refused)).toMatch(
      /^refused: capability [0-9a-f]{12}… is revoked|^refused: ancestor capability/,
    );

    const b = await world.connect();
    expect((await read(b)).isError).toBeFalsy();
    await revokePrincipal(database.db, world.admin, {
      tenant: "acme",
      principal: "alice@acme.example",
      reason: "left the company",
    });
    const gone = await eventually(
      () => read(b),
      (r) => Boolean(r.isError),
    );
    expect(text(gone)).toBe(
      "refused: principal alice@acme.example is revoked; this session can no longer call tools",
    );
  });

  it("a client revoked in the console is refused with 401 from the next poll", async () => {
    const other = await issueGatewayClient(database.db, world.admin, {
      tenant: "acme",
      name: "second bot",
      principal: "bob@acme.example",
      agent: "second-bot",
      groups: [],
    });
    const agent = await eventually(
      () => world.connect(other.credential).catch(() => undefined),
      (c) => c !== undefined,
    );
    expect(agent).toBeDefined();
    await revokeGatewayClient(database.db, world.admin, { id: other.id });
    const err = await eventually(
      () =>
        (agent as Client).listTools().then(
          () => undefined,
          (e: Error) => e,
        ),
      (e) => e !== undefined,
    );
    expect(String(err)).toMatch(/401|revoked/);
  });
});
