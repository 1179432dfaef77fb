import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { loadGatewayConfig, loadOrCreateIssuerKey, startGateway } from "@capability-console/sdk/gateway";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type BenchGroup, type BenchResult, percentile } from "../harness";

const GROUP = "gateway";
const CALLS = 600;
const BLOCKS = 10;
const REVOCATIONS = 8;
const require = createRequire(import.meta.url);
const FS_SERVER = require.resolve("@modelcontextprotocol/server-filesystem/dist/index.js");
const CLI = path.resolve(import.meta.dirname, "../../packages/sdk/dist/cli.js");
const CONSOLE = path.resolve(import.meta.dirname, "../gateway-console.ts");
const ECHO_HTTP = path.resolve(import.meta.dirname, "../mcp-echo-http.mjs");
const ECHO_STDIO = path.resolve(import.meta.dirname, "../../tests/fixtures/mcp-crash-server.mjs");

const round2 = (n: number) => Number(n.toFixed(2));

/** A child process and the first stdout line matching `pattern`. */
function start(args: string[], pattern: RegExp): { child: ChildProcess; match: Promise<RegExpExecArray> } {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const match = new Promise<RegExpExecArray>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    child.on("exit", (code) => reject(new Error(`${args.at(-2) ?? args[0]} exited (${code}): ${err}`)));
  });
  return { child, match };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/**
 * One `tools/call` (server-filesystem's read_text_file on a small file) through the gateway
 * (agent → Streamable HTTP → identity, policy, per-call narrowing → stdio upstream; events after
 * the answer) against the same call straight to the same stdio upstream, interleaved call by call
 * in one run; and how long a session revoked in the console takes to refuse the agent's next
 * call. Each part runs as deployed, in its own process: the console (real route handlers over a
 * scratch PGlite, bench/gateway-console.ts), the gateway (`capability-console gateway
 * config.json`), the upstream; this process is the agent.
 */
async function run(): Promise<BenchResult[]> {
  // The machine's load goes with the figures: the target must hold on a busy VM, not only a quiet one.
  const loadBefore = os.loadavg()[0] as number;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-bench-gateway-"));
  const file = path.join(dir, "hello.txt");
  fs.writeFileSync(file, "hello from the bench");
  // GATEWAY_BENCH_DISTINCT=1: each pair reads a file of its own, so no gateway call repeats an
  // earlier one and every call pays a fresh per-call narrowing (a new signed block); by default
  // every call is the same one and reuses its narrowed capability within half its TTL.
  const distinct = process.env.GATEWAY_BENCH_DISTINCT === "1";
  const files = distinct
    ? Array.from({ length: CALLS + 100 }, (_, i) => {
        const f = path.join(dir, `hello-${i}.txt`);
        fs.writeFileSync(f, "hello from the bench");
        return f;
      })
    : [file];
  let next = 0;
  const nextFile = () => files[next++ % files.length] as string;
  const console_ = start(["--import", "tsx", "--conditions=react-server", CONSOLE], /^(\{.*\})\n/m);
  let gateway: ReturnType<typeof start> | undefined;
  let inProcess: Awaited<ReturnType<typeof startGateway>> | undefined;
  let echo: ReturnType<typeof start> | undefined;
  const direct = new Client({ name: "bench-direct", version: "1.0.0" });
  try {
    const seeded = JSON.parse((await console_.match)[1] as string) as {
      url: string;
      apiKey: string;
      credential: string;
    };
    const upstream = { command: process.execPath, args: [FS_SERVER, dir] };
    const configPath = path.join(dir, "gateway.json");
    fs.writeFileSync(
      configPath,
      JSON.stringify({
        consoleUrl: seeded.url,
        apiKey: seeded.apiKey,
        port: 0,
        issuerKeyFile: "./gateway-key.json",
        digestKey: "bench-digest-key-0123",
        upstreams: {
          fs: {
            ...upstream,
            tools: { read_text_file: { resourceType: "File", resourceArgument: "path", action: "read" } },
          },
        },
      }),
    );
    // GATEWAY_BENCH_PROCESS=1: the gateway as its own process (`capability-console gateway`);
    // by default in this one, beside the agent (one hop fewer for the scheduler of a busy VM).
    let gatewayUrl: string;
    if (process.env.GATEWAY_BENCH_PROCESS === "1") {
      gateway = start([CLI, "gateway", configPath], /MCP endpoint: (\S+)\/mcp/);
      gatewayUrl = (await gateway.match)[1] as string;
    } else {
      const config = await loadGatewayConfig(configPath, {});
      const { key } = await loadOrCreateIssuerKey(config.issuerKeyFile);
      inProcess = await startGateway({ config, issuer: key, log: () => {} });
      gatewayUrl = inProcess.url;
    }
    const connectAgent = async () => {
      const agent = new Client({ name: "bench-agent", version: "1.0.0" });
      await agent.connect(
        new StreamableHTTPClientTransport(new URL(`${gatewayUrl}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${seeded.credential}` } },
        }),
      );
      return agent;
    };
    await direct.connect(new StdioClientTransport({ ...upstream, stderr: "ignore" }));
    const agent = await connectAgent();
    // A pair reads the same file; `pair` moves to the next one before each pair.
    let pairFile = file;
    const pair = () => {
      pairFile = nextFile();
    };
    const viaGateway = () => agent.callTool({ name: "fs.read_text_file", arguments: { path: pairFile } });
    const straight = () => direct.callTool({ name: "read_text_file", arguments: { path: pairFile } });
    const time = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      const r = (await fn()) as { isError?: boolean };
      if (r.isError) throw new Error("bench call failed");
      return performance.now() - t0;
    };
    for (let i = 0; i < 100; i++) {
      pair();
      await time(viaGateway);
      await time(straight);
    }
    const viaHttp = await blocks(viaGateway, straight, pair, time);
    await agent.close();

    // The stdio face: the agent starts the gateway as a command (`capability-console gateway
    // config.json --stdio`, the credential in its environment), as MCP clients configured with
    // command/args/env do; same upstream, same calls, the same straight baseline.
    const stdioAgent = new Client({ name: "bench-stdio-agent", version: "1.0.0" });
    await stdioAgent.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, "gateway", configPath, "--stdio"],
        env: { PATH: process.env.PATH ?? "", CAPCONSOLE_GATEWAY_CREDENTIAL: seeded.credential },
        stderr: "ignore",
      }),
    );
    const viaStdioGateway = () =>
      stdioAgent.callTool({ name: "fs.read_text_file", arguments: { path: pairFile } });
    // A freshly started process: more warm-up calls than the in-process face needs (its JIT).
    for (let i = 0; i < 300; i++) {
      pair();
      await time(viaStdioGateway);
      await time(straight);
    }
    const viaStdio = await blocks(viaStdioGateway, straight, pair, time);
    await stdioAgent.close();

    // The transport floor on this machine: a trivial tool over Streamable HTTP against the same
    // over stdio, same run. The gateway's own work is its overhead less this.
    echo = start([ECHO_HTTP], /PORT (\d+)/);
    const echoPort = (await echo.match)[1] as string;
    const echoHttp = new Client({ name: "bench-echo-http", version: "1.0.0" });
    await echoHttp.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${echoPort}/mcp`)));
    const echoStdio = new Client({ name: "bench-echo-stdio", version: "1.0.0" });
    await echoStdio.connect(
      new StdioClientTransport({ command: process.execPath, args: [ECHO_STDIO], stderr: "ignore" }),
    );
    const overHttp = () => echoHttp.callTool({ name: "echo", arguments: { text: "x" } });
    const overStdio = () => echoStdio.callTool({ name: "echo", arguments: { text: "x" } });
    for (let i = 0; i < 100; i++) {
      await time(overHttp);
      await time(overStdio);
    }
    const fh: number[] = [];
    const fs_: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      fh.push(await time(overHttp));
      fs_.push(await time(overStdio));
    }
    const floor = percentile(fh, 50) - percentile(fs_, 50);
    await echoHttp.close();
    await echoStdio.close();

    const sessionsKnown = async () =>
      (await (await fetch(`${seeded.url}/bench/sessions`)).json()) as string[];
    const delays: number[] = [];
    const seen = new Set(await sessionsKnown());
    for (let i = 0; i < REVOCATIONS; i++) {
      const a = await connectAgent();
      if ((await viaGatewayOf(a, file)).isError) throw new Error("refused before the revocation");
      // The gateway's session id, as the console learns it from the gateway's events.
      let session: string | undefined;
      for (let t = 0; !session; t++) {
        session = (await sessionsKnown()).find((s) => !seen.has(s));
        if (t > 400) throw new Error("the session never reached the console");
        if (!session) await new Promise((r) => setTimeout(r, 25));
      }
      seen.add(session);
      // Revocations land at random points of the feed's cycle, as they do in life.
      await new Promise((r) => setTimeout(r, Math.random() * 500));
      const t0 = performance.now();
      await fetch(`${seeded.url}/bench/revoke`, { method: "POST", body: JSON.stringify({ session }) });
      while (!(await viaGatewayOf(a, file)).isError) {
        if (performance.now() - t0 > 30_000) throw new Error("the revocation never reached the gateway");
        await new Promise((res) => setTimeout(res, 5));
      }
      delays.push(performance.now() - t0);
      await a.close();
    }
    const max = Math.max(...delays);
    const line = (face: string, m: Measured) =>
      `${face} gateway ${m.gw50.toFixed(2)} ms, straight ${m.base50.toFixed(2)} ms (overhead, median of ${BLOCKS} blocks: ${m.overhead.toFixed(2)} ms, blocks ${m.blockOverheads.map((o) => o.toFixed(1)).join(" ")}; p95 ${m.gw95.toFixed(2)} against ${m.base95.toFixed(2)} ms)`;
    process.stderr.write(
      `  ${distinct ? "distinct calls (a fresh narrowing each), " : ""}tools/call p50: ${line("Streamable HTTP:", viaHttp)}; ${line("stdio:", viaStdio)}; Streamable HTTP vs stdio alone ${floor.toFixed(2)} ms; revocation to refusal p50 ${percentile(delays, 50).toFixed(0)} ms, max ${max.toFixed(0)} ms; load average ${loadBefore.toFixed(1)} before, ${(os.loadavg()[0] as number).toFixed(1)} after\n`,
    );
    const what = `median of ${BLOCKS} blocks of ${CALLS / BLOCKS} pairs; stdio server-filesystem${distinct ? "; every call distinct, narrowed afresh" : ""}`;
    return [
      {
        group: GROUP,
        name: `tools/call overhead through the gateway, agent on stdio (gateway --stdio), p50 (${what})`,
        value: round2(viaStdio.overhead),
        unit: "ms",
        baseline: round2(viaStdio.base50),
        ratio: round2(viaStdio.ratio),
        target: "<= 2 ms",
        pass: viaStdio.overhead <= 2,
      },
      {
        group: GROUP,
        name: `tools/call overhead through the gateway, agent on Streamable HTTP, p50 (${what})`,
        value: round2(viaHttp.overhead),
        unit: "ms",
        baseline: round2(viaHttp.base50),
        ratio: round2(viaHttp.ratio),
        target: "<= 2 ms",
        pass: viaHttp.overhead <= 2,
      },
      {
        group: GROUP,
        name: "the same overhead less the HTTP transport's (trivial MCP server, HTTP vs stdio), p50",
        value: round2(viaHttp.overhead - floor),
        unit: "ms",
        baseline: round2(floor),
        ratio: null,
        target: null,
        pass: true,
      },
      {
        group: GROUP,
        name: `session revocation to the agent's refused call, max of ${REVOCATIONS}`,
        value: Math.round(max),
        unit: "ms",
        baseline: Math.round(percentile(delays, 50)),
        ratio: round2(max / 2000),
        target: "<= 2000 ms",
        pass: max <= 2000,
      },
    ];
  } finally {
    await direct.close().catch(() => {});
    if (gateway) await stop(gateway.child);
    await inProcess?.close();
    if (echo) await stop(echo.child);
    await stop(console_.child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface Measured {
  gw50: number;
  base50: number;
  gw95: number;
  base95: number;
  overhead: number;
  ratio: number;
  blockOverheads: number[];
}

/**
 * Blocks of back-to-back pairs; the overhead is the median over blocks of each block's p50
 * difference, so a burst of other work on this 2-core machine (the console ingesting a batch of
 * the gateway's events, say) moves one block, not the figure.
 */
async function blocks(
  viaGateway: () => Promise<unknown>,
  straight: () => Promise<unknown>,
  pair: () => void,
  time: (fn: () => Promise<unknown>) => Promise<number>,
): Promise<Measured> {
  const gw: number[] = [];
  const base: number[] = [];
  const blockOverheads: number[] = [];
  const blockRatios: number[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    const g: number[] = [];
    const s: number[] = [];
    for (let i = 0; i < CALLS / BLOCKS; i++) {
      // Alternate which goes first, so neither always follows the other.
      pair();
      if (i % 2) {
        g.push(await time(viaGateway));
        s.push(await time(straight));
      } else {
        s.push(await time(straight));
        g.push(await time(viaGateway));
      }
    }
    gw.push(...g);
    base.push(...s);
    blockOverheads.push(percentile(g, 50) - percentile(s, 50));
    blockRatios.push(percentile(g, 50) / percentile(s, 50));
  }
  return {
    gw50: percentile(gw, 50),
    base50: percentile(base, 50),
    gw95: percentile(gw, 95),
    base95: percentile(base, 95),
    overhead: percentile(blockOverheads, 50),
    ratio: percentile(blockRatios, 50),
    blockOverheads,
  };
}

async function viaGatewayOf(agent: Client, file: string): Promise<{ isError?: boolean }> {
  return (await agent.callTool({ name: "fs.read_text_file", arguments: { path: file } })) as {
    isError?: boolean;
  };
}

const group: BenchGroup = {
  name: GROUP,
  description: "MCP gateway: tools/call overhead against the same stdio upstream; revocation to refusal",
  run,
};
export default group;
