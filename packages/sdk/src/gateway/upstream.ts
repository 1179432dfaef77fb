// One upstream MCP server, as the gateway's MCP client: a stdio command it starts (its env holds
// the upstream's credentials) or a Streamable HTTP URL (its headers hold them). The agent's
// bearer is never forwarded: the gateway authenticates to upstreams as itself.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { UpstreamConfig } from "./config.js";

/**
 * What the gateway needs of a tools/call result to forward it and record it: an object, with its
 * content a list and isError a boolean when present. The rest passes through untouched: the
 * agent's MCP client checks the result against the tool's schemas (the tool list the gateway
 * serves carries each tool's outputSchema), so the gateway does not check it a second time.
 */
const forwardedResultSchema = z.looseObject({
  content: z.array(z.unknown()).optional(),
  isError: z.boolean().optional(),
});

export class UpstreamError extends Error {
  override name = "UpstreamError";
}

const STDERR_KEEP = 2000;

export class Upstream {
  private client: Client | undefined;
  private transport: Transport | undefined;
  private connecting: Promise<Client> | undefined;
  /** Why the last connection ended, when it ended on its own (a crash, a closed socket). */
  lastExit: string | undefined;
  private stderrTail = "";
  private finished = false;
  tools: Tool[] = [];

  constructor(
    readonly name: string,
    readonly config: UpstreamConfig,
    private readonly version: string,
  ) {}

  /** The stdio child's pid while it runs (tests and operators use it). */
  get pid(): number | null {
    return this.transport instanceof StdioClientTransport ? this.transport.pid : null;
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  private makeTransport(): Transport {
    const c = this.config;
    if ("command" in c) {
      const t = new StdioClientTransport({
        command: c.command,
        args: c.args,
        // Only what the config names plus a PATH: the gateway's own env (its API key) stays here.
        env: { PATH: process.env.PATH ?? "", ...c.env },
        cwd: c.cwd,
        stderr: "pipe",
      });
      t.stderr?.on("data", (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_KEEP);
      });
      return t;
    }
    return new StreamableHTTPClientTransport(new URL(c.url), { requestInit: { headers: c.headers } });
  }

  /** Connects (or reconnects after a crash) and reads the tool list. */
  connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.finished)
      return Promise.reject(
        new UpstreamError(`upstream ${this.name} is closed: the gateway is shutting down`),
      );
    this.connecting ??= (async () => {
      const transport = this.makeTransport();
      const client = new Client({ name: "capability-console-gateway", version: this.version });
      try {
        await client.connect(transport);
      } catch (err) {
        await transport.close().catch(() => {});
        throw new UpstreamError(
          `upstream ${this.name} did not start: ${(err as Error).message}${this.stderrNote()}`,
        );
      }
      client.onclose = () => {
        if (this.client !== client) return;
        this.client = undefined;
        this.transport = undefined;
        this.lastExit = `upstream ${this.name} closed its connection${this.stderrNote()}`;
      };
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : {});
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      this.tools = tools;
      this.transport = transport;
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private stderrNote(): string {
    const last = this.stderrTail.trim().split("\n").slice(-1)[0];
    return last ? ` (its last stderr line: ${last.slice(0, 300)})` : "";
  }

  /** Calls one tool; a crash or a closed connection becomes an UpstreamError (the next call restarts it). */
  async callTool(tool: string, args: Record<string, unknown>, timeoutMs: number): Promise<CallToolResult> {
    const client = this.client ?? (await this.connect());
    try {
      return (await client.request(
        { method: "tools/call", params: { name: tool, arguments: args } },
        forwardedResultSchema,
        {
          timeout: timeoutMs,
        },
      )) as CallToolResult;
    } catch (err) {
      const reason =
        this.client === client ? (err as Error).message : (this.lastExit ?? (err as Error).message);
      throw new UpstreamError(`upstream ${this.name} failed during ${tool}: ${reason}`);
    }
  }

  /** Ends the connection; `final`: for good (the gateway stops), so no call starts it again. */
  async close(o: { final?: boolean } = {}): Promise<void> {
    if (o.final) this.finished = true;
    const client = this.client;
    this.client = undefined;
    await client?.close().catch(() => {});
  }
}
