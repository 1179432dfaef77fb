// `capability-console gateway [config]`: load the config, the issuer key (created and printed on
// first start), start serving, stop cleanly on SIGINT/SIGTERM (buffered events are flushed).
import { toPublicKey } from "../capability/index.js";
import { GatewayConfigError, loadGatewayConfig } from "./config.js";
import { loadOrCreateIssuerKey } from "./issuer-key.js";
import { GatewayCredentialError, startGateway, startStdioGateway } from "./server.js";

export interface GatewayCliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
}

export const GATEWAY_USAGE = `Usage: capability-console gateway [config.json] [--stdio]

Runs the MCP capability gateway (docs/gateway.md). The config path may also come from
GATEWAY_CONFIG; GATEWAY_PORT, CONSOLE_URL and CONSOLE_API_KEY override the file.

  --stdio   Serve one agent over stdin/stdout instead of Streamable HTTP (for MCP clients
            that start servers as commands). The agent's credential comes from
            CAPCONSOLE_GATEWAY_CREDENTIAL; stdout carries only MCP, everything else goes to
            stderr.
`;

/** Starts the gateway; resolves with the exit code once it has stopped (or failed to start). */
export async function runGateway(argv: string[], io: GatewayCliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(GATEWAY_USAGE);
    return 0;
  }
  const stdio = argv.includes("--stdio");
  const unknown = argv.find((a) => a.startsWith("-") && a !== "--stdio");
  if (unknown) {
    io.stderr(`unknown option ${unknown}\n\n${GATEWAY_USAGE}`);
    return 2;
  }
  const path = argv.find((a) => !a.startsWith("-")) ?? io.env.GATEWAY_CONFIG;
  const credential = io.env.CAPCONSOLE_GATEWAY_CREDENTIAL ?? "";
  if (stdio && !credential.trim()) {
    io.stderr(
      "--stdio: set CAPCONSOLE_GATEWAY_CREDENTIAL to the agent's gateway client credential (gwc_…, issued in the console under Gateway → Clients)\n",
    );
    return 2;
  }
  // Over stdio, stdout is the MCP stream: what would be printed goes to stderr.
  const info = stdio ? io.stderr : io.stdout;
  if (!path) {
    io.stderr(`name the config file (or set GATEWAY_CONFIG)\n\n${GATEWAY_USAGE}`);
    return 2;
  }
  let config: Awaited<ReturnType<typeof loadGatewayConfig>>;
  try {
    config = await loadGatewayConfig(path, io.env);
  } catch (err) {
    if (err instanceof GatewayConfigError) {
      io.stderr(`gateway config ${path}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { key, created } = await loadOrCreateIssuerKey(config.issuerKeyFile);
  const pub = toPublicKey(key);
  info(
    `${created ? "Generated" : "Using"} the gateway's issuer key ${config.issuerKeyFile}\n` +
      `  kid:        ${pub.kid}\n  public key: ${pub.publicKey}\n` +
      (created ? "  Add it in the console under Admin → Issuer keys so its capabilities verify.\n" : ""),
  );
  const cannotStart = (err: unknown) => {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    io.stderr(
      err instanceof GatewayCredentialError
        ? `gateway: cannot start: ${err.message}\n`
        : `gateway: cannot start: ${(err as Error).message}${cause ? ` (${cause})` : ""}; is the console at ${config.consoleUrl} up, and is apiKey an ingest key of the tenant?\n`,
    );
    return 1;
  };
  const signalled = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  if (stdio) {
    let gateway: Awaited<ReturnType<typeof startStdioGateway>>;
    try {
      gateway = await startStdioGateway({ config, issuer: key, credential, log: (l) => io.stderr(`${l}\n`) });
    } catch (err) {
      return cannotStart(err);
    }
    await Promise.race([signalled, gateway.closed]);
    return closeWithin(() => gateway.close(), io);
  }
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway({ config, issuer: key, log: (l) => io.stderr(`${l}\n`) });
  } catch (err) {
    return cannotStart(err);
  }
  io.stdout(`MCP endpoint: ${gateway.url}/mcp\n`);
  await signalled;
  return closeWithin(() => gateway.close(), io);
}

/** How long a stop may take: calls in flight finish and buffered events are sent meanwhile. */
const CLOSE_WITHIN_MS = 15_000;

/**
 * Closes cleanly, unless that takes longer than CLOSE_WITHIN_MS (an unreachable console keeps the
 * event sender retrying) or another SIGINT/SIGTERM comes: then the process ends at once, saying
 * what may be lost, rather than ignoring its supervisor.
 */
async function closeWithin(close: () => Promise<void>, io: GatewayCliIo): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const forced = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`not closed after ${CLOSE_WITHIN_MS / 1000} s`), CLOSE_WITHIN_MS);
    process.once("SIGINT", () => resolve("a second signal"));
    process.once("SIGTERM", () => resolve("a second signal"));
  });
  const outcome = await Promise.race([close().then(() => undefined), forced]);
  clearTimeout(timer);
  if (outcome === undefined) return 0;
  io.stderr(`gateway: stopped on ${outcome}; events not yet sent to the console may be lost\n`);
  process.exit(1);
}
