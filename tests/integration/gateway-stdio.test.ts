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
import { capabilities, events } from "@/db/schema";
import {
  addGatewayRule,
  gatewayRuleInputSchema,
  issueGatewayClient,
  revokeGatewayClient,
} from "@/lib/data/gateway";
import { backends } from "../support/db";
import { FS_SERVER, type GatewayWorld, openGatewayWorld } from "./gateway-proxy-console";

const CLI = path.resolve(import.meta.dirname, "../../packages/sdk/dist/cli.js");
const SLOW_SERVER = path.resolve(import.meta.dirname, "../fixtures/mcp-crash-server.mjs");
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
  /** The gateway process spoken to line by line, as an agent's MCP client would. */
  const rawGateway = (credential: string) => {
    const child = spawn(process.execPath, [CLI, "gateway", configPath, "--stdio"], {
      env: {
        PATH: process.env.PATH ?? "",
        CAPCONSOLE_GATEWAY_CREDENTIAL: credential,
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
    // "close", not "exit": it comes after the last of stdout has been read.
    const exited = new Promise<number | null>((r) => child.once("close", (c) => r(c)));
    let errText = "";
    child.stderr.on("data", (d: Buffer) => {
      errText += d.toString();
    });
    const send = (line: string) => child.stdin.write(`${line}\n`);
    return {
      lines,
      send,
      call: (id: number, name: string, args: Record<string, unknown>) =>
        send(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } })),
      /** The answer to request `id` (notifications, which have none, are skipped). */
      answer: (id: number) => lines.find((l) => l.id === id),
      stderr: () => errText,
      async initialize() {
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
        await expect.poll(() => lines.some((l) => l.id === 1), { timeout: 30_000 }).toBe(true);
        send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
      },
      /** Closes the agent's end of the pipe and waits for the gateway to exit. */
      end: () => {
        child.stdin.end();
        return exited;
      },
    };
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
          slow: { command: process.execPath, args: [SLOW_SERVER], tools: {} },
        },
      }),
    );
    await addGatewayRule(
      database.db,
      world.admin,
      gatewayRuleInputSchema.parse({
        tenant: "acme",
        subjectKind: "agent",
        subjectValue: "support-bot",
        tool: "slow.slow",
        arguments: [],
        note: "a slow tool for the shutdown test",
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
    expect(names.every((n) => n.startsWith("fs.read_") || n === "slow.slow")).toBe(true);
    expect(names).not.toContain("fs.write_file");

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
    await world.grant(requestId);
    const stepped = await agent.callTool({ name: "fs.write_file", arguments: args });
    expect(stepped.isError).toBeFalsy();
    expect(await readFile(target, "utf8")).toBe("written over stdio after step-up");
    const replay = await agent.callTool({ name: "fs.write_file", arguments: args });
    expect(replay.isError).toBe(true);

    // The console has every decision from the gateway process, with its capability lineage.
    await expect
      .poll(async () => (await writesOf()).map((e) => e.outcome), { timeout: 10_000 })
      .toEqual(["denied", "allowed", "denied"]);
    const [denied] = await writesOf();
    expect(denied?.principal).toBe("alice@acme.example");
    expect(denied?.session).toMatch(/^sess_gw_/);
    expect(denied?.meta).toMatchObject({
      gateway: { client: world.clientId, escalationRequest: requestId },
    });
    // The read was authorized by a capability narrowed from the session's root.
    const sessionRows = await database.db
      .select()
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.session, denied?.session as string)));
    const minted = sessionRows.find((e) => e.type === "capability.minted");
    const read = sessionRows.find(
      (e) => e.type === "tool.call" && e.tool === "fs.read_text_file" && e.outcome === "allowed",
    );
    const [readCap] = await database.db
      .select()
      .from(capabilities)
      .where(and(eq(capabilities.tenant, "acme"), eq(capabilities.id, read?.capabilityId as string)));
    expect(minted?.capabilityId).toBeTruthy();
    expect(readCap?.parentId).toBe(minted?.capabilityId);
    // Logs went to stderr, never the credential. (That stdout carries only MCP is checked by the
    // raw-line tests below, which parse every line it prints.)
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
    const raw = rawGateway(world.credential);
    try {
      await raw.initialize();
      raw.send("this is not json");
      raw.send(JSON.stringify({ foo: 1 }));
      raw.send(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "fs.read_text_file", arguments: "x" },
        }),
      );
      raw.call(3, "fs.read_text_file", { path: path.join(world.dir, "hello.txt") });
      // Every line on stdout is JSON-RPC (rawGateway parses each one; anything else throws).
      await expect.poll(() => raw.lines.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
      const [, parse, invalid] = raw.lines;
      expect(parse).toMatchObject({ id: null, error: { code: -32700 } });
      expect(parse?.error?.message).toMatch(/^Parse error: /);
      expect(invalid).toMatchObject({ id: null, error: { code: -32600 } });
      expect(raw.answer(2)).toMatchObject({
        error: { code: -32602, message: "tools/call params.arguments must be an object" },
      });
      expect(raw.answer(3)).toMatchObject({
        result: { content: [{ type: "text", text: "hello from server-filesystem" }] },
      });
    } finally {
      await raw.end();
    }
  }, 60_000);

  it("a call still running when the agent closes the pipe is answered and recorded before it exits", async () => {
    const raw = rawGateway(world.credential);
    await raw.initialize();
    raw.call(7, "slow.slow", { text: "finished after the pipe closed", ms: 1500 });
    const code = await raw.end();
    expect(code).toBe(0);
    expect(raw.answer(7)).toMatchObject({
      result: { content: [{ type: "text", text: "finished after the pipe closed" }] },
    });
    const rows = await database.db
      .select()
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.type, "tool.call"), eq(events.tool, "slow.slow")));
    expect(rows.map((e) => e.outcome)).toEqual(["allowed"]);
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
