// The gateway's stdio face (`capability-console gateway config.json --stdio`): the agent starts
// the gateway as a command, as MCP clients configured with command/args/env do, and the
// credential comes from the environment. The official MCP SDK client as the agent, the package's
// built CLI as the gateway process, server-filesystem over stdio as the upstream, the console's
// real route handlers on both backends.
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { and, asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { events } from "@/db/schema";
import { issueGatewayClient, revokeGatewayClient } from "@/lib/data/gateway";
import { grantGatewayEscalationRequest } from "@/lib/data/gateway-requests";
import { backends } from "../support/db";
import { FS_SERVER, type GatewayWorld, openGatewayWorld } from "./gateway-proxy-console";

const CLI = path.resolve(import.meta.dirname, "../../packages/sdk/dist/cli.js");
const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]?.text ?? "";

/** The CLI's exit code and stderr when it does not get as far as serving. */
function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? "", ...env } as unknown as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.on("exit", (code) => resolve({ code, stderr: stderr + stdout }));
  });
}

describe.each(backends)("MCP gateway over stdio on $name", (backend) => {
  let database: Database;
  let world: GatewayWorld;
  let configPath: string;
  let agent: Client;
  let stderr = "";

  const connect = async (credential: string) => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, "gateway", configPath, "--stdio"],
      env: { PATH: process.env.PATH ?? "", CAPCONSOLE_GATEWAY_CREDENTIAL: credential },
      stderr: "pipe",
    });
    transport.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const c = new Client({ name: "vitest-stdio-agent", version: "1.0.0" });
    await c.connect(transport);
    return c;
  };
  const writesOf = () =>
    database.db
      .select()
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.type, "tool.call"), eq(events.tool, "fs.write_file")))
      .orderBy(asc(events.ts), asc(events.id));

  beforeAll(async () => {
    database = await backend.open();
    world = await openGatewayWorld(database.db);
    configPath = path.join(world.dir, "..", `gw-stdio-${Date.now()}.json`);
    await writeFile(
      configPath,
      JSON.stringify({
        consoleUrl: world.served.url,
        apiKey: world.served.apiKey,
        issuerKeyFile: `${configPath}.key.json`,
        digestKey: "integration-digest-key",
        revocationPollMs: 200,
        configPollMs: 200,
        upstreams: {
          fs: {
            command: process.execPath,
            args: [FS_SERVER, world.dir],
            tools: {
              read_text_file: { resourceType: "File", resourceArgument: "path", action: "read" },
              write_file: { resourceType: "File", resourceArgument: "path", action: "write" },
            },
          },
        },
      }),
    );
    agent = await connect(world.credential);
  }, 120_000);

  afterAll(async () => {
    await agent?.close();
    await world?.close();
    await database?.close();
  });

  it("serves the granted tools only, a read, and a refused write stepped up once by the console", async () => {
    const names = (await agent.listTools()).tools.map((t) => t.name).sort();
    expect(names).toContain("fs.read_text_file");
    expect(names.every((n) => n.startsWith("fs.read_"))).toBe(true);

    const ok = await agent.callTool({
      name: "fs.read_text_file",
      arguments: { path: path.join(world.dir, "hello.txt") },
    });
    expect(ok.isError).toBeFalsy();
    expect(text(ok)).toBe("hello from server-filesystem");

    const target = path.join(world.dir, "stdio-note.txt");
    const args = { path: target, content: "written over stdio after step-up" };
    const refused = await agent.callTool({ name: "fs.write_file", arguments: args });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(
      /^refused: no rule allows fs\.write_file .*escalation request [0-9a-f-]{36}/,
    );
    const requestId = refused._meta?.["capconsole/escalationRequest"] as string;
    await grantGatewayEscalationRequest(
      database.db,
      world.admin,
      { id: requestId },
      { consoleKey: world.served.consoleKey },
    );
    const stepped = await agent.callTool({ name: "fs.write_file", arguments: args });
    expect(stepped.isError).toBeFalsy();
    expect(await readFile(target, "utf8")).toBe("written over stdio after step-up");
    const replay = await agent.callTool({ name: "fs.write_file", arguments: args });
    expect(replay.isError).toBe(true);

    // The console has every decision, from the gateway process, with its capability lineage.
    await expect
      .poll(async () => (await writesOf()).map((e) => e.outcome), { timeout: 10_000 })
      .toEqual(["denied", "allowed", "denied"]);
    const [denied] = await writesOf();
    expect(denied?.principal).toBe("alice@acme.example");
    expect(denied?.session).toMatch(/^sess_gw_/);
    expect(denied?.meta).toMatchObject({
      gateway: { client: world.clientId, escalationRequest: requestId },
    });
    // Nothing but MCP went to stdout (the SDK client would have failed to parse it); logs went
    // to stderr, and never the credential.
    expect(stderr).toContain("serving MCP on stdio for client support bot");
    expect(stderr).not.toContain(world.credential);
  });

  it("a client revoked in the console is refused on its next request", async () => {
    const other = await issueGatewayClient(database.db, world.admin, {
      tenant: "acme",
      name: "stdio bot",
      principal: "alice@acme.example",
      agent: "support-bot",
      groups: [],
    });
    const second = await connect(other.credential);
    try {
      const file = path.join(world.dir, "hello.txt");
      const first = await second.callTool({ name: "fs.read_text_file", arguments: { path: file } });
      expect(first.isError).toBeFalsy();
      await revokeGatewayClient(database.db, world.admin, { id: other.id });
      await expect
        .poll(
          () =>
            second.callTool({ name: "fs.read_text_file", arguments: { path: file } }).then(
              () => "allowed",
              (e: Error) => e.message,
            ),
          { timeout: 10_000 },
        )
        .toMatch(/gateway client stdio bot is revoked/);
    } finally {
      await second.close();
    }
  });

  it("answers malformed lines with JSON-RPC errors, as over HTTP, and the session goes on", async () => {
    const child = spawn(process.execPath, [CLI, "gateway", configPath, "--stdio"], {
      env: {
        PATH: process.env.PATH ?? "",
        CAPCONSOLE_GATEWAY_CREDENTIAL: world.credential,
      } as unknown as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const lines: Array<{ id?: unknown; error?: { code: number; message: string }; result?: unknown }> = [];
    let buffer = "";
    child.stdout.on("data", (d: Buffer) => {
      buffer += d.toString();
      for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
        lines.push(JSON.parse(buffer.slice(0, i)));
        buffer = buffer.slice(i + 1);
      }
    });
    try {
      const send = (line: string) => child.stdin.write(`${line}\n`);
      send(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-06-18",
            capabilities: {},
            clientInfo: { name: "raw", version: "1" },
          },
        }),
      );
      await expect.poll(() => lines.length, { timeout: 30_000 }).toBe(1);
      send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
      send("this is not json");
      send(JSON.stringify({ foo: 1 }));
      send(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "fs.read_text_file", arguments: "x" },
        }),
      );
      send(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 3,
          method: "tools/call",
          params: { name: "fs.read_text_file", arguments: { path: path.join(world.dir, "hello.txt") } },
        }),
      );
      await expect.poll(() => lines.length, { timeout: 10_000 }).toBe(5);
      expect(lines[1]).toMatchObject({ id: null, error: { code: -32700 } });
      expect(lines[1]?.error?.message).toMatch(/^Parse error: /);
      expect(lines[2]).toMatchObject({ id: null, error: { code: -32600 } });
      expect(lines[3]).toMatchObject({
        id: 2,
        error: { code: -32602, message: "tools/call params.arguments must be an object" },
      });
      expect(lines[4]).toMatchObject({
        id: 3,
        result: { content: [{ type: "text", text: "hello from server-filesystem" }] },
      });
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin.end();
      await exited;
    }
  }, 60_000);

  it("refuses to start without a credential, or with one the console does not know", async () => {
    const none = await runCli(["gateway", configPath, "--stdio"], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--stdio: set CAPCONSOLE_GATEWAY_CREDENTIAL");
    const malformed = await runCli(["gateway", configPath, "--stdio"], {
      CAPCONSOLE_GATEWAY_CREDENTIAL: "not-a-credential",
    });
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain(
      "gateway: cannot start: CAPCONSOLE_GATEWAY_CREDENTIAL is not a gateway client credential",
    );
    const forged = `gwc_${"A".repeat(43)}`;
    const unknown = await runCli(["gateway", configPath, "--stdio"], {
      CAPCONSOLE_GATEWAY_CREDENTIAL: forged,
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("gateway: cannot start: unknown gateway client credential");
    expect(unknown.stderr).not.toContain(forged);
  }, 60_000);
});
