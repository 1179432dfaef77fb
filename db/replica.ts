import { sql } from "drizzle-orm";
import { type Database, type Db, withStatementTimeout } from "./client";

/**
 * The read-only queries that may run on a streaming replica (DATABASE_REPLICA_URL). This list is
 * the whole routing policy: a page asks for one of these names, and anything not named here
 * (authorization, sessions, sign-in, revocation checks and feeds, escalation issue/use/pick-up,
 * ingest, writes, audit verification, API keys) reads the primary, where the rows are current.
 */
export const REPLICA_READS = [
  "events.list",
  "events.count",
  "events.histogram",
  "events.export",
  "requests.list",
  "requests.graph",
  "requests.timeline",
  "principals.day",
  "overview",
] as const;
export type ReplicaRead = (typeof REPLICA_READS)[number];

/** Where a routed read went, for the page's note. */
export type ReadSource =
  | { from: "replica"; lagSeconds: number }
  | {
      from: "primary";
      /** Why not the replica; "none" when no replica is configured (nothing to say). */
      reason: "none" | "not-routed" | "unreachable" | "lagging" | "not-standby";
      lagSeconds?: number | null;
      maxLagSeconds?: number;
    };

/**
 * A read-only handle: a Db (the replica, or the primary when it falls back) plus where it points.
 * It is not a Db, so a function typed `db: Db` (a revocation check, an escalation's use, a write)
 * cannot be handed one: only the routed query functions, which take `ReadExecutor`, accept it.
 */
/**
 * The handle's state, under a registry symbol rather than #private fields: a Next server bundle
 * can hold two copies of this module (the route's and the page layer's), and `instanceof` or a
 * #field of one copy does not recognise an object made by the other.
 */
const STATE = Symbol.for("capability-console.ReadDb");
interface ReadState {
  db: Db;
  primary: Db;
  source: ReadSource;
  onFailure: () => void;
}
const stateOf = (from: unknown): ReadState | undefined =>
  typeof from === "object" && from !== null && STATE in from
    ? (from as { [STATE]: ReadState })[STATE]
    : undefined;

export class ReadDb {
  readonly [STATE]: ReadState;

  constructor(args: { db: Db; primary: Db; source: ReadSource; onFailure?: () => void }) {
    this[STATE] = {
      db: args.db,
      primary: args.primary,
      source: args.source,
      onFailure: args.onFailure ?? (() => {}),
    };
  }

  /** Read after the query ran: a replica that failed mid-read says primary. */
  get source(): ReadSource {
    return this[STATE].source;
  }

  /**
   * Runs `read` on the routed database. A replica that drops the connection or cancels the
   * statement for a recovery conflict gets the read again on the primary; the note then says so.
   */
  static async run<T>(from: ReadExecutor, read: (db: Db) => Promise<T>): Promise<T> {
    const state = stateOf(from);
    if (!state) return read(from as Db);
    if (state.source.from !== "replica") return read(state.db);
    try {
      return await read(state.db);
    } catch (err) {
      if (!replicaFailure(err)) throw err;
      console.warn("[db] replica read failed, reading the primary:", rootMessage(err));
      state.onFailure();
      state.source = { from: "primary", reason: "unreachable" };
      return read(state.primary);
    }
  }

  /** The database for a streamed read (an export's batches), which cannot be repeated whole. */
  static executor(from: ReadExecutor): Db {
    return stateOf(from)?.db ?? (from as Db);
  }
}

/** What a routed query function takes: the primary (tests, other callers) or a routed handle. */
export type ReadExecutor = Db | ReadDb;

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The innermost cause's message: drizzle wraps the driver's error in "Failed query: …". */
function rootMessage(err: unknown): string {
  let e = err;
  for (let i = 0; i < 5 && (e as { cause?: unknown })?.cause; i++) e = (e as { cause?: unknown }).cause;
  return errorText(e);
}

// Connection failures (class 08, the server shutting down or starting: 57P01-57P03, socket
// errors, pg's connect timeout) and a hot standby's recovery conflict (40001). Not 57014: a
// statement past its budget is the query's fault and would cost the primary as much.
function replicaFailure(err: unknown): boolean {
  const code = errorCode(err);
  if (code?.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03") return true;
  if (code === "40001") return true;
  if (code && /^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT…
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++)
    if (/Connection terminated|timeout exceeded when trying to connect/i.test(errorText(e))) return true;
  return false;
}

/** One measurement of the replica against the primary. */
export type ReplicaProbe =
  | { ok: true; lagSeconds: number; behindBytes: number }
  | { ok: false; reason: "unreachable" | "not-standby"; detail: string };

/** "16/B374D848" → a byte position. */
export function parseLsn(lsn: string): bigint {
  const [hi, lo] = lsn.split("/");
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/**
 * How far the replica is behind: the primary's WAL position is read first, then the replica's
 * replay position. Replayed up to it: 0 s. Otherwise the replica's data is as of its last
 * replayed commit, so the lag is the time since that commit (an upper bound, as a stale view is
 * measured conservatively; with no commit replayed yet it is unknown, reported as Infinity).
 */
export async function probeReplica(args: { primary: Db; replica: Db }): Promise<ReplicaProbe> {
  let primaryLsn: bigint;
  try {
    const res = (await args.primary.execute(sql`select pg_current_wal_lsn()::text as "lsn"`)) as unknown as {
      rows: { lsn: string }[];
    };
    primaryLsn = parseLsn(res.rows[0]?.lsn ?? "0/0");
  } catch (err) {
    // Not the replica's fault; without the primary's position, trust the replica's own view.
    console.warn("[db] could not read the primary's WAL position:", rootMessage(err));
    primaryLsn = -1n;
  }
  const replica = withStatementTimeout(args.replica, 2_000) ?? args.replica;
  let row: { standby: boolean; replay: string | null; receive: string | null; since: number | string | null };
  try {
    const res = (await replica.execute(
      sql`select pg_is_in_recovery() as "standby", pg_last_wal_replay_lsn()::text as "replay",
        pg_last_wal_receive_lsn()::text as "receive",
        extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()) as "since"`,
    )) as unknown as { rows: (typeof row)[] };
    row = res.rows[0] as typeof row;
  } catch (err) {
    return { ok: false, reason: "unreachable", detail: rootMessage(err) };
  }
  if (!row.standby || !row.replay)
    return {
      ok: false,
      reason: "not-standby",
      detail: "pg_is_in_recovery() is false: not a streaming replica",
    };
  const replay = parseLsn(row.replay);
  // Without the primary's position: behind when WAL has arrived that is not replayed yet.
  const target = primaryLsn >= 0n ? primaryLsn : row.receive ? parseLsn(row.receive) : replay;
  const behindBytes = target > replay ? Number(target - replay) : 0;
  if (behindBytes === 0) return { ok: true, lagSeconds: 0, behindBytes };
  const since = row.since === null ? Number.POSITIVE_INFINITY : Math.max(0, Number(row.since));
  return { ok: true, lagSeconds: since, behindBytes };
}

export interface ReplicaRouterOptions {
  primary: Db;
  /** Undefined: every read goes to the primary. */
  replica?: Database;
  /** Past this lag the primary answers instead. */
  maxLagSeconds: number;
  /** How long one probe is reused (coalesces the several reads of one page). */
  probeTtlMs?: number;
}

export const DEFAULT_MAX_LAG_SECONDS = 30;

/** Chooses, per named read, between the replica and the primary. */
export class ReplicaRouter {
  readonly #opts: ReplicaRouterOptions;
  #last: { at: number; probe: Promise<ReplicaProbe> } | undefined;
  #warned = new Set<string>();

  constructor(opts: ReplicaRouterOptions) {
    this.#opts = opts;
  }

  get hasReplica(): boolean {
    return this.#opts.replica !== undefined;
  }

  /** The replica's state now (cached for probeTtlMs). */
  probe(): Promise<ReplicaProbe> {
    const replica = this.#opts.replica;
    if (!replica)
      return Promise.resolve({ ok: false, reason: "unreachable", detail: "no replica configured" });
    const now = Date.now();
    const ttl = this.#opts.probeTtlMs ?? 1_000;
    if (this.#last && now - this.#last.at < ttl) return this.#last.probe;
    const probe = probeReplica({ primary: this.#opts.primary, replica: replica.db });
    this.#last = { at: now, probe };
    return probe;
  }

  /**
   * A handle for one named read. Deny by default: a name not in REPLICA_READS (a cast, a
   * typo, a caller from plain JavaScript) gets the primary.
   */
  async read(purpose: ReplicaRead): Promise<ReadDb> {
    const primary = this.#opts.primary;
    const onPrimary = (source: ReadSource) => new ReadDb({ db: primary, primary, source });
    const replica = this.#opts.replica;
    if (!replica) return onPrimary({ from: "primary", reason: "none" });
    if (!(REPLICA_READS as readonly string[]).includes(purpose))
      return onPrimary({ from: "primary", reason: "not-routed" });
    const probe = await this.probe();
    if (!probe.ok) {
      this.#warnOnce(probe.reason, `[db] replica ${probe.reason}, reading the primary: ${probe.detail}`);
      return onPrimary({ from: "primary", reason: probe.reason });
    }
    const max = this.#opts.maxLagSeconds;
    if (!(probe.lagSeconds <= max))
      return onPrimary({
        from: "primary",
        reason: "lagging",
        lagSeconds: Number.isFinite(probe.lagSeconds) ? probe.lagSeconds : null,
        maxLagSeconds: max,
      });
    this.#warned.clear();
    return new ReadDb({
      db: replica.db,
      primary,
      source: { from: "replica", lagSeconds: probe.lagSeconds },
      onFailure: () => {
        this.#last = undefined;
      },
    });
  }

  #warnOnce(key: string, message: string) {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    console.warn(message);
  }
}
