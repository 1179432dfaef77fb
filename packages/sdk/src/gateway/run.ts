// `capability-console gateway [config]`: load the config, the issuer key (created and printed on
// first start), start serving, stop cleanly on SIGINT/SIGTERM (buffered events are flushed).
import { toPublicKey } from "../capability/index.js";
import { GatewayConfigError, loadGatewayConfig } from "./config.js";
import { loadOrCreateIssuerKey } from "./issuer-key.js";
import { startGateway } from "./server.js";

export interface GatewayCliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
}

export const GATEWAY_USAGE = `Usage: capability-console gateway [config.json]

Runs the MCP capability gateway (docs/gateway.md). The config path may also come from
GATEWAY_CONFIG; GATEWAY_PORT, CONSOLE_URL and CONSOLE_API_KEY override the file.
`;

/** Starts the gateway; resolves with the exit code once it has stopped (or failed to start). */
export async function runGateway(argv: string[], io: GatewayCliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(GATEWAY_USAGE);
    return 0;
  }
  const path = argv[0] ?? io.env.GATEWAY_CONFIG;
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
  io.stdout(
    `${created ? "Generated" : "Using"} the gateway's issuer key ${config.issuerKeyFile}\n` +
      `  kid:        ${pub.kid}\n  public key: ${pub.publicKey}\n` +
      (created ? "  Add it in the console under Admin → Issuer keys so its capabilities verify.\n" : ""),
  );
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway({ config, issuer: key, log: (l) => io.stderr(`${l}\n`) });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    io.stderr(
      `gateway: cannot start: ${(err as Error).message}${cause ? ` (${cause})` : ""}; is the console at ${config.consoleUrl} up, and is apiKey an ingest key of the tenant?\n`,
    );
    return 1;
  }
  io.stdout(`MCP endpoint: ${gateway.url}/mcp\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await gateway.close();
  return 0;
}
