import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  GatewayConfigError,
  loadGatewayConfig,
  loadOrCreateIssuerKey,
  parseGatewayConfig,
} from "@capability-console/sdk/gateway";
import { describe, expect, it } from "vitest";

const base = {
  consoleUrl: "http://localhost:3000",
  apiKey: "cc_test",
  digestKey: "0123456789abcdef",
  upstreams: { fs: { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"] } },
};

function fieldOf(raw: unknown, env: Record<string, string> = {}): string | undefined {
  try {
    parseGatewayConfig(raw, env);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayConfigError);
    return (err as GatewayConfigError).message;
  }
  return undefined;
}

describe("gateway config", () => {
  it("fills defaults", () => {
    const c = parseGatewayConfig(base);
    expect(c).toMatchObject({ port: 3100, maxArgumentBytes: 65536, callTtlSeconds: 30, configPollMs: 500 });
    expect(c.upstreams.fs).toMatchObject({ command: "npx", env: {}, tools: {} });
  });

  it("errors name the field", () => {
    expect(fieldOf({ ...base, consoleUrl: "nope" })).toMatch(/^consoleUrl: must be the console's URL/);
    expect(fieldOf({ ...base, apiKey: undefined })).toMatch(/^apiKey: /);
    expect(fieldOf({ ...base, digestKey: "short" })).toMatch(/^digestKey: must be at least 16/);
    expect(fieldOf({ ...base, upstreams: {} })).toMatch(/^upstreams: name at least one upstream/);
    expect(fieldOf({ ...base, upstreams: { "bad name": { command: "x" } } })).toMatch(
      /^upstreams\.bad name: upstream names/,
    );
    expect(fieldOf({ ...base, upstreams: { fs: {} } })).toBe(
      "upstreams.fs: give either command (a stdio MCP server) or url (Streamable HTTP), not neither",
    );
    expect(fieldOf({ ...base, upstreams: { fs: { command: "x", url: "http://a" } } })).toMatch(/not both$/);
    expect(fieldOf({ ...base, upstreams: { fs: { command: "" } } })).toBe(
      "upstreams.fs.command: must name the program to start",
    );
    expect(fieldOf({ ...base, upstreams: { web: { url: "ftp:nope" } } })).toMatch(/^upstreams\.web\.url: /);
    expect(
      fieldOf({
        ...base,
        upstreams: { fs: { command: "x", tools: { read_file: { resourceArgument: "a..b" } } } },
      }),
    ).toMatch(/^upstreams\.fs\.tools\.read_file\.resourceArgument: must be a dotted path/);
    expect(fieldOf({ ...base, upstreams: { fs: { command: "x", extra: 1 } } })).toMatch(/^upstreams\.fs: /);
    expect(fieldOf({ ...base, maxArgumentBytes: 10 })).toMatch(/^maxArgumentBytes: /);
    expect(fieldOf([])).toMatch(/^config: /);
    expect(fieldOf(base, { GATEWAY_PORT: "http" })).toBe("GATEWAY_PORT: must be a port number");
  });

  it("env overrides the file", () => {
    const c = parseGatewayConfig(base, {
      CONSOLE_URL: "http://console:3000",
      CONSOLE_API_KEY: "cc_env",
      GATEWAY_PORT: "4100",
    });
    expect(c).toMatchObject({ consoleUrl: "http://console:3000", apiKey: "cc_env", port: 4100 });
  });

  it("loads a file: bad JSON is named, relative paths resolve from the file", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "gw-config-"));
    const file = path.join(dir, "gateway.json");
    await writeFile(file, "{ nope");
    await expect(loadGatewayConfig(file, {})).rejects.toThrow(/gateway\.json is not JSON/);
    await writeFile(file, JSON.stringify({ ...base, issuerKeyFile: "keys/gw.json" }));
    const c = await loadGatewayConfig(file, {});
    expect(c.issuerKeyFile).toBe(path.join(dir, "keys/gw.json"));
    await expect(loadGatewayConfig(path.join(dir, "missing.json"), {})).rejects.toThrow(
      /cannot read the gateway config/,
    );
  });

  it("generates the issuer key once, 0600, and reads it back", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "gw-key-"));
    const file = path.join(dir, "sub", "key.json");
    const first = await loadOrCreateIssuerKey(file, new Date("2026-12-02T00:00:00Z"));
    expect(first.created).toBe(true);
    expect(first.key.kid).toMatch(/^gateway-2026-12-02-[0-9a-f]{6}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateIssuerKey(file);
    expect(again).toMatchObject({
      created: false,
      key: { kid: first.key.kid, publicKey: first.key.publicKey },
    });
    const stored = JSON.parse(await readFile(file, "utf8"));
    await writeFile(file, JSON.stringify({ ...stored, publicKey: `ed25519/${"0".repeat(64)}` }));
    await expect(loadOrCreateIssuerKey(file)).rejects.toThrow(/publicKey does not belong to privateKey/);
  });
});
