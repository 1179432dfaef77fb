// The gateway's config file (docs/gateway.md): the console it answers to, the upstream MCP
// servers it proxies, its issuer key file and digest key. Validated with zod; every error names
// the field (`upstreams.fs.command: …`), and env overrides what a deployment must not commit.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";

const NAME = /^[A-Za-z0-9_.:@/+-]{1,200}$/;
const UPSTREAM = /^[A-Za-z0-9_-]{1,64}$/;
const ARG_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** What a tool touches, so a call can be narrowed to exactly that resource and action. */
export const toolDeclarationSchema = z.strictObject({
  resourceType: z.string().regex(NAME, { error: "must match [A-Za-z0-9_.:@/+-]{1,200}" }).default("Tool"),
  /** Dotted path of the argument that names the resource (e.g. "path"); omitted: the tool itself. */
  resourceArgument: z
    .string()
    .regex(ARG_PATH, { error: "must be a dotted path of argument names, e.g. path or options.file" })
    .optional(),
  action: z.string().regex(NAME, { error: "must match [A-Za-z0-9_.:@/+-]{1,200}" }).default("call"),
});
export type ToolDeclaration = z.output<typeof toolDeclarationSchema>;

const tools = z
  .record(
    z.string().regex(NAME, { error: "tool names must match [A-Za-z0-9_.:@/+-]" }),
    toolDeclarationSchema,
  )
  .default({});
const stringMap = z.record(z.string().min(1), z.string()).default({});

const stdioUpstreamSchema = z.strictObject({
  command: z.string().min(1, { error: "must name the program to start" }),
  args: z.array(z.string()).default([]),
  /** Upstream credentials live here, in the gateway; agents never see them. */
  env: stringMap,
  cwd: z.string().min(1).optional(),
  tools,
});
const httpUpstreamSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL of a Streamable HTTP MCP endpoint" }),
  /** Sent to the upstream only (e.g. its own Authorization); never the agent's bearer. */
  headers: stringMap,
  tools,
});

export const gatewayConfigFileSchema = z.strictObject({
  consoleUrl: z.url({ protocol: /^https?$/, error: "must be the console's URL, e.g. http://localhost:3000" }),
  apiKey: z.string().min(1, { error: "must be an ingest API key of the tenant" }),
  port: z.number().int().min(0).max(65535).default(3100),
  host: z.string().min(1).default("127.0.0.1"),
  /** The URL agents use, for the protected-resource metadata (default http://host:port). */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  issuerKeyFile: z.string().min(1).default("./data/gateway-issuer-key.json"),
  /** HMAC key of argument digests: the console's digest lookups need the same key. */
  digestKey: z.string().min(16, { error: "must be at least 16 characters (an HMAC key)" }),
  maxArgumentBytes: z
    .number()
    .int()
    .min(256)
    .max(16 * 1024 * 1024)
    .default(64 * 1024),
  sessionTtlSeconds: z
    .number()
    .int()
    .min(60)
    .max(24 * 3600)
    .default(3600),
  callTtlSeconds: z.number().int().min(1).max(300).default(30),
  configPollMs: z.number().int().min(100).max(60_000).default(500),
  revocationPollMs: z.number().int().min(100).max(60_000).default(500),
  // Each upstream is parsed on its own (below), so an error names its own field, not "a union".
  upstreams: z
    .record(
      z.string().regex(UPSTREAM, { error: "upstream names must match [A-Za-z0-9_-]{1,64}" }),
      z.record(z.string(), z.unknown(), { error: "must be an object" }),
    )
    .refine((u) => Object.keys(u).length > 0, { error: "name at least one upstream MCP server" }),
});
export type StdioUpstreamConfig = z.output<typeof stdioUpstreamSchema>;
export type HttpUpstreamConfig = z.output<typeof httpUpstreamSchema>;
export type UpstreamConfig = StdioUpstreamConfig | HttpUpstreamConfig;
export type GatewayConfig = Omit<z.output<typeof gatewayConfigFileSchema>, "upstreams"> & {
  upstreams: Record<string, UpstreamConfig>;
};

export class GatewayConfigError extends Error {
  override name = "GatewayConfigError";
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join(".") || "config";
}

/** Parses a config object (already read), naming the first wrong field. */
export function parseGatewayConfig(
  raw: unknown,
  env: Record<string, string | undefined> = {},
): GatewayConfig {
  const input =
    raw && typeof raw === "object" && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>) } : raw;
  if (input && typeof input === "object") {
    const o = input as Record<string, unknown>;
    if (env.CONSOLE_URL) o.consoleUrl = env.CONSOLE_URL;
    if (env.CONSOLE_API_KEY) o.apiKey = env.CONSOLE_API_KEY;
    if (env.GATEWAY_PORT) {
      const port = Number(env.GATEWAY_PORT);
      if (!/^\d{1,5}$/.test(env.GATEWAY_PORT) || port > 65535)
        throw new GatewayConfigError("GATEWAY_PORT: must be a port number", "GATEWAY_PORT");
      o.port = port;
    }
  }
  const parsed = gatewayConfigFileSchema.safeParse(input);
  if (!parsed.success) throw firstIssue(parsed.error, []);
  const upstreams: Record<string, UpstreamConfig> = {};
  for (const [name, value] of Object.entries(parsed.data.upstreams)) {
    const at = ["upstreams", name];
    const hasUrl = "url" in value;
    if (hasUrl === "command" in value)
      throw new GatewayConfigError(
        `${at.join(".")}: give either command (a stdio MCP server) or url (Streamable HTTP), not ${hasUrl ? "both" : "neither"}`,
        at.join("."),
      );
    const one = (hasUrl ? httpUpstreamSchema : stdioUpstreamSchema).safeParse(value);
    if (!one.success) throw firstIssue(one.error, at);
    upstreams[name] = one.data;
  }
  return { ...parsed.data, upstreams };
}

function firstIssue(error: z.ZodError, prefix: string[]): GatewayConfigError {
  const issue = error.issues[0];
  const field = issuePath([...prefix, ...(issue?.path ?? [])]);
  // A bad record key reports "Invalid key in record"; the key's own rule says more.
  const inner = issue?.code === "invalid_key" ? issue.issues[0]?.message : undefined;
  return new GatewayConfigError(`${field}: ${inner ?? issue?.message ?? "invalid"}`, field);
}

/** Reads and validates the config file; relative paths in it are relative to the file. */
export async function loadGatewayConfig(
  path: string,
  env: Record<string, string | undefined> = process.env,
): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new GatewayConfigError(`cannot read the gateway config ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new GatewayConfigError(`${path} is not JSON: ${(err as Error).message}`);
  }
  const config = parseGatewayConfig(raw, env);
  const base = dirname(resolve(path));
  config.issuerKeyFile = resolve(base, config.issuerKeyFile);
  for (const up of Object.values(config.upstreams))
    if ("command" in up && up.cwd) up.cwd = resolve(base, up.cwd);
  return config;
}
