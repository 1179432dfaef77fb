import { mkdtemp, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRevocationList } from "@capability-console/sdk/capability";
import { followRevocationStream } from "@capability-console/sdk/gateway";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../packages/sdk/src/cli";

function io() {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    io: {
      stdout: (s: string) => {
        out.stdout += s;
      },
      stderr: (s: string) => {
        out.stderr += s;
      },
      readFile: async () => new Uint8Array(),
    },
  };
}

describe("capability-console gateway", () => {
  it("is listed in the usage and has its own help", async () => {
    const a = io();
    expect(await runCli(["help"], a.io)).toBe(0);
    expect(a.out.stdout).toContain("gateway [config.json]");
    const b = io();
    expect(await runCli(["gateway", "--help"], b.io)).toBe(0);
    expect(b.out.stdout).toContain("GATEWAY_CONFIG");
  });

  it("exits 2 naming the field of a bad config", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "gw-cli-"));
    const file = path.join(dir, "gateway.json");
    await writeFile(
      file,
      JSON.stringify({ consoleUrl: "http://localhost:3000", apiKey: "k", digestKey: "short", upstreams: {} }),
    );
    const a = io();
    expect(await runCli(["gateway", file], a.io)).toBe(2);
    expect(a.out.stderr).toBe(
      `gateway config ${file}: digestKey: must be at least 16 characters (an HMAC key)\n`,
    );
  });
});

describe("revocation stream", () => {
  it("applies server-sent revocations as they arrive and reconnects from the last cursor", async () => {
    const seen: string[] = [];
    let connections = 0;
    const server = http.createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.accept} ${req.headers.authorization}`);
      connections++;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("retry: 1000\n\n");
      if (connections === 1) {
        const entry = {
          cursor: 7,
          kind: "session",
          target: "sess_gw_1",
          revokedIds: [],
          reason: "r",
          at: new Date().toISOString(),
        };
        res.write(`id: 7\nevent: revocation\ndata: ${JSON.stringify(entry)}\n\n`);
        setTimeout(() => res.end(), 50);
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const list = createRevocationList();
    const stop = followRevocationStream({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      apiKey: "cc_k",
      list,
      log: () => {},
      reconnectMs: 20,
    });
    try {
      for (let i = 0; i < 100 && connections < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(list.sessions.has("sess_gw_1")).toBe(true);
      expect(seen[0]).toBe("/api/v1/revocations?stream=1&since=0 text/event-stream Bearer cc_k");
      expect(seen[1]).toMatch(/since=7 /);
    } finally {
      stop();
      server.closeAllConnections();
      server.close();
    }
  });
});
