import path from "node:path";

// The few settings the console reads from its environment, in one place. Modules take the
// values they need as arguments; only entry points (scripts, the server's db singleton) call this.
export interface ConsoleConfig {
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  production: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`PORT must be a TCP port number (1-65535), got "${env.PORT}"`);
  }
  return {
    port,
    // The ignore comment keeps Next from tracing the whole project for this runtime path.
    dataDir: path.resolve(/*turbopackIgnore: true*/ env.DATA_DIR || "./data"),
    databaseUrl: env.DATABASE_URL || undefined,
    production: env.NODE_ENV === "production",
  };
}
