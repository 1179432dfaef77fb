import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "@/scripts/postgres";

// A real PostgreSQL primary and a streaming replica of it, for tests/integration/read-replica:
// initdb (wal_level=replica, a replication line in pg_hba trusting 127.0.0.1), the primary
// started, `pg_basebackup -R` into a second folder (which writes primary_conninfo and
// standby.signal), the replica started on another port. As root, every server binary runs as
// the postgres user (initdb and postgres refuse root), as scripts/throwaway-postgres.sh does.

export interface ReplicaCluster {
  primaryUrl: string;
  replicaUrl: string;
  stopReplica(): void;
  stop(): void;
}

const bindir = (() => {
  const res = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  return res.status === 0 ? res.stdout.trim() : "";
})();

function bin(name: string): string | null {
  const inBindir = bindir ? path.join(bindir, name) : "";
  if (inBindir && fs.existsSync(inBindir)) return inBindir;
  const which = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return which.status === 0 ? which.stdout.trim() : null;
}

/** Why the cluster cannot be started here, or null when it can. */
export function replicaClusterUnavailable(): string | null {
  const missing = ["initdb", "pg_ctl", "pg_basebackup"].filter((n) => !bin(n));
  if (missing.length) return `${missing.join(", ")} not found (install the PostgreSQL server binaries)`;
  if (process.getuid?.() === 0 && spawnSync("id", ["postgres"]).status !== 0)
    return "running as root without a postgres user to run the servers as";
  return null;
}

const asRoot = process.getuid?.() === 0;

function run(name: string, args: string[]): void {
  const exe = bin(name) as string;
  const [cmd, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", exe, ...args]] : [exe, args];
  const res = spawnSync(cmd, argv, { encoding: "utf8", timeout: 60_000 });
  if (res.status !== 0) throw new Error(`${name} ${args.join(" ")} failed:\n${res.stderr}${res.stdout}`);
}

function startServer(dataDir: string, port: number, log: string): void {
  run("pg_ctl", [
    "-D",
    dataDir,
    "-l",
    log,
    "-w",
    "-t",
    "30",
    "-o",
    `-p ${port} -k ${path.dirname(dataDir)} -c listen_addresses=127.0.0.1`,
    "start",
  ]);
}

export async function startReplicaCluster(): Promise<ReplicaCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-replica-"));
  fs.chmodSync(dir, 0o755);
  if (asRoot) spawnSync("chown", ["postgres", dir]);
  const primaryDir = path.join(dir, "primary");
  const replicaDir = path.join(dir, "replica");
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const stopDir = (d: string) => {
    if (fs.existsSync(path.join(d, "postmaster.pid"))) {
      try {
        run("pg_ctl", ["-D", d, "-m", "immediate", "-w", "stop"]);
      } catch {
        // already gone
      }
    }
  };
  const stop = () => {
    stopDir(replicaDir);
    stopDir(primaryDir);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    run("initdb", [
      "-D",
      primaryDir,
      "-U",
      "postgres",
      "--auth=trust",
      "--no-sync",
      "--no-locale",
      "-E",
      "UTF8",
    ]);
    fs.appendFileSync(
      path.join(primaryDir, "postgresql.conf"),
      // fsync off: a throwaway cluster, and the migrations run faster; replication does not need it.
      "\nwal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n",
    );
    fs.appendFileSync(path.join(primaryDir, "pg_hba.conf"), "\nhost replication all 127.0.0.1/32 trust\n");
    startServer(primaryDir, primaryPort, path.join(dir, "primary.log"));
    run("pg_basebackup", [
      "-h",
      "127.0.0.1",
      "-p",
      String(primaryPort),
      "-U",
      "postgres",
      "-D",
      replicaDir,
      "-R",
      "-X",
      "stream",
      "--no-sync",
    ]);
    startServer(replicaDir, replicaPort, path.join(dir, "replica.log"));
  } catch (err) {
    stop();
    throw err;
  }
  return {
    primaryUrl: `postgres://postgres@127.0.0.1:${primaryPort}/postgres`,
    replicaUrl: `postgres://postgres@127.0.0.1:${replicaPort}/postgres`,
    stopReplica: () => stopDir(replicaDir),
    stop,
  };
}
