import "server-only";
import { eq, sql } from "drizzle-orm";
import type { Db, Executor } from "@/db/client";
import { loginAttempts } from "@/db/schema";

// Failed password sign-ins, counted in one window:
// - per account and address: a few tries, then that address is locked out of that account;
// - per address: a spray across many accounts locks that address out;
// - per account, over all addresses: a back-off, never a lock-out, so a stranger can slow the
//   real user down by seconds but not keep them out. An address that signed in to the account
//   before skips the back-off (a stranger cannot earn that without the password).
export const SIGN_IN_LIMITS = {
  windowMs: 15 * 60 * 1000,
  perAccountAndAddress: 5,
  perAddress: 20,
  /** Account-wide failures before the back-off starts; it doubles from 1 s up to the cap. */
  perAccount: 5,
  backoffCapMs: 30_000,
  knownAddressMs: 30 * 24 * 60 * 60 * 1000,
} as const;

export type Reservation = { ok: true; attemptId: number } | { ok: false; retryAfterMs: number };

interface Counts {
  pair: number;
  address: number;
  account: number;
  lastAccountFailureMs: number | null;
  known: boolean;
}

async function counts(db: Executor, email: string, ip: string): Promise<Counts> {
  const since = new Date(Date.now() - SIGN_IN_LIMITS.windowMs).toISOString();
  const knownSince = new Date(Date.now() - SIGN_IN_LIMITS.knownAddressMs).toISOString();
  const res = (await db.execute(sql`
    select
      count(*) filter (where email = ${email} and ip = ${ip} and not ok and at > ${since})::int as pair,
      count(*) filter (where ip = ${ip} and not ok and at > ${since})::int as address,
      count(*) filter (where email = ${email} and not ok and at > ${since})::int as account,
      extract(epoch from max(at) filter (where email = ${email} and not ok and at > ${since})) * 1000 as last_ms,
      coalesce(bool_or(ok) filter (where email = ${email} and ip = ${ip}), false) as known
    from login_attempts
    where (email = ${email} or ip = ${ip}) and at > ${knownSince}`)) as {
    rows: {
      pair: number;
      address: number;
      account: number;
      last_ms: string | number | null;
      known: boolean;
    }[];
  };
  const r = res.rows[0];
  return {
    pair: Number(r?.pair ?? 0),
    address: Number(r?.address ?? 0),
    account: Number(r?.account ?? 0),
    lastAccountFailureMs: r?.last_ms == null ? null : Number(r.last_ms),
    known: r?.known === true,
  };
}

/** How long this attempt must wait, 0 when it may go ahead now. */
function waitMs(c: Counts): number {
  const L = SIGN_IN_LIMITS;
  if (c.pair >= L.perAccountAndAddress || c.address >= L.perAddress) return L.windowMs;
  if (c.known || c.account < L.perAccount || c.lastAccountFailureMs === null) return 0;
  const backoff = Math.min(1000 * 2 ** (c.account - L.perAccount), L.backoffCapMs);
  return Math.max(0, c.lastAccountFailureMs + backoff - Date.now());
}

/**
 * Takes a slot for one password check, atomically: under advisory locks on the account and
 * the address, counts what the limits allow and records the attempt as failed before the
 * password is looked at. Concurrent attempts therefore see each other, and no more checks run
 * than the limits allow; settleAttempt() marks it a success afterwards.
 */
export async function reserveAttempt(db: Db, args: { email: string; ip: string }): Promise<Reservation> {
  return db.transaction(async (tx) => {
    // Always account first, then address: one order, so two attempts cannot deadlock.
    await tx.execute(sql`select pg_advisory_xact_lock(7301, hashtext(${args.email}))`);
    await tx.execute(sql`select pg_advisory_xact_lock(7302, hashtext(${args.ip}))`);
    const wait = waitMs(await counts(tx, args.email, args.ip));
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    const [row] = await tx
      .insert(loginAttempts)
      .values({ email: args.email, ip: args.ip, ok: false })
      .returning({ id: loginAttempts.id });
    if (!row) throw new Error("login attempt not recorded");
    return { ok: true, attemptId: row.id };
  });
}

/** Records that the reserved attempt succeeded (it was counted as a failure until now). */
export async function settleAttempt(db: Db, attemptId: number): Promise<void> {
  await db.update(loginAttempts).set({ ok: true }).where(eq(loginAttempts.id, attemptId));
}
