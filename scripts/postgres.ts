// A PostgreSQL for tests and benchmarks: TEST_DATABASE_URL or DATABASE_URL if set (a server where
// databases may be created and dropped), else a throwaway cluster when initdb is on the PATH.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

export interface AvailablePostgres {
  /** Admin URL: may create and drop databases. */
  url: string;
  /** Stops the throwaway cluster, if one was started. */
  stop(): void;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

function hasCommand(name: string): boolean {
  return (
    spawnSync("sh", ["-c", `command -v ${name} || test -x "$(pg_config --bindir 2>/dev/null)/${name}"`])
      .status === 0
  );
}

export async function obtainPostgres(
  env: NodeJS.ProcessEnv = process.env,
): Promise<AvailablePostgres | null> {
  const given = env.TEST_DATABASE_URL || env.DATABASE_URL;
  if (given) return { url: given, stop: () => {} };
  if (!hasCommand("initdb") || !hasCommand("pg_ctl")) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-pg-"));
  fs.chmodSync(dir, 0o755); // the postgres user must reach it when we run as root
  const script = path.resolve("scripts", "throwaway-postgres.sh");
  const res = spawnSync("bash", [script, "start", path.join(dir, "pg"), String(await freePort())], {
    encoding: "utf8",
  });
  if (res.status !== 0) {
    console.warn(`could not start a throwaway PostgreSQL:\n${res.stderr}`);
    fs.rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    url: res.stdout.trim(),
    stop: () => {
      spawnSync("bash", [script, "stop", path.join(dir, "pg")]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh database on that server; returns its URL and a function that drops it. */
export async function createScratchDatabase(adminUrl: string, prefix: string) {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: () => adminQuery(adminUrl, `drop database if exists ${name} with (force)`),
  };
}
