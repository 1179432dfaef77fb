import path from "node:path";

// The few settings the console reads from its environment, in one place. Modules take the
// values they need as arguments; only entry points (scripts, the server's db singleton) call this.
export interface ConsoleConfig {
  port: number;
  dataDir: string;
  /** Where retention archives are written (CONSOLE_ARCHIVE_DIR, default DATA_DIR/archive; docs/retention.md). */
  archiveDir: string;
  databaseUrl: string | undefined;
  /** A streaming replica of DATABASE_URL for the explorer's read-only pages (db/replica.ts). */
  replicaUrl: string | undefined;
  /** Past this replication lag the routed reads go to the primary. */
  replicaMaxLagSeconds: number;
  production: boolean;
  /**
   * The Merkle log's name (issue 15): each tenant's checkpoints carry the origin line
   * `${logOrigin}/${tenant}`, and that line is also the signing key's name in their vkeys. Set
   * CONSOLE_LOG_ORIGIN once and keep it: a checkpoint names the log it belongs to.
   */
  logOrigin: string;
}

/** "host[:port]/capability-console" from NEXTAUTH_URL (or localhost:PORT), unless CONSOLE_LOG_ORIGIN says. */
export function logOriginFrom(env: Partial<NodeJS.ProcessEnv>, port: number): string {
  const configured = env.CONSOLE_LOG_ORIGIN?.trim();
  const origin = configured || `${hostOf(env.NEXTAUTH_URL) ?? `localhost:${port}`}/capability-console`;
  if (/[\s+]/u.test(origin) || origin.endsWith("/"))
    throw new Error(`CONSOLE_LOG_ORIGIN must have no spaces or '+' and not end in '/', got "${origin}"`);
  return origin;
}

function hostOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).host || null;
  } catch {
    return null;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`PORT must be a TCP port number (1-65535), got "${env.PORT}"`);
  }
  // The ignore comments keep Next from tracing the whole project for these runtime paths.
  const dataDir = path.resolve(/*turbopackIgnore: true*/ env.DATA_DIR || "./data");
  return {
    port,
    dataDir,
    archiveDir: path.resolve(
      /*turbopackIgnore: true*/ env.CONSOLE_ARCHIVE_DIR || path.join(dataDir, "archive"),
    ),
    databaseUrl: env.DATABASE_URL || undefined,
    replicaUrl: env.DATABASE_REPLICA_URL || undefined,
    replicaMaxLagSeconds: maxLagFrom(env.DATABASE_REPLICA_MAX_LAG_SECONDS),
    production: env.NODE_ENV === "production",
    logOrigin: logOriginFrom(env, port),
  };
}

function maxLagFrom(value: string | undefined): number {
  if (!value) return 30;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`DATABASE_REPLICA_MAX_LAG_SECONDS must be a number of seconds >= 0, got "${value}"`);
  return n;
}
