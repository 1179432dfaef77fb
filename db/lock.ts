import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// PGlite must never be opened by two processes: a second writer corrupts the folder. A lock
// file holding the owner's PID makes the second process fail fast and say who holds it.
export class DataDirLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database in ${path.dirname(lockPath)} is in use by process ${pid} (lock ${lockPath}). ` +
        "Stop that process first (PGlite allows one process at a time), or use PostgreSQL via DATABASE_URL.",
    );
    this.name = "DataDirLockedError";
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface DirLock {
  path: string;
  release(): void;
}

// Locks this process holds: a lock file naming our own PID is otherwise taken for a stale one
// left by an earlier process that had the same PID (common in containers).
const heldHere = new Set<string>();

export type PidLock = { ok: true; path: string; release(): void } | { ok: false; path: string; pid: number };

/**
 * Takes the lock file `lockPath` for this process, or names the live process holding it. A lock
 * left by a process that died (e.g. SIGKILL) is taken over; the lock is released at exit.
 */
export function tryPidLock(lockPath: string): PidLock {
  if (heldHere.has(lockPath)) return { ok: false, path: lockPath, pid: process.pid };
  const body = JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, body, { flag: "wx", mode: 0o600 });
      heldHere.add(lockPath);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        heldHere.delete(lockPath);
        process.off("exit", release);
        try {
          const owner = JSON.parse(fs.readFileSync(lockPath, "utf8")) as { pid?: number };
          if (owner.pid === process.pid) fs.unlinkSync(lockPath);
        } catch {
          // Already gone: nothing to release.
        }
      };
      process.on("exit", release);
      return { ok: true, path: lockPath, release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let pid = Number.NaN;
      try {
        pid = Number((JSON.parse(fs.readFileSync(lockPath, "utf8")) as { pid?: number }).pid);
      } catch {
        // A half-written or foreign file: treat as stale below.
      }
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        return { ok: false, path: lockPath, pid };
      }
      // The holder died without releasing: take the lock over.
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not take the lock ${lockPath}`);
}

export function acquireDirLock(dir: string): DirLock {
  fs.mkdirSync(dir, { recursive: true });
  const lock = tryPidLock(path.join(dir, "pglite.lock"));
  if (!lock.ok) throw new DataDirLockedError(lock.path, lock.pid);
  return { path: lock.path, release: lock.release };
}
