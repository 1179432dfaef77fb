import { and, count, eq, min, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { ensureEventPartitions } from "@/db/partitions";
import { escalations, events, issuers, tenants } from "@/db/schema";
import { checkpointMovedHeads } from "@/lib/audit/checkpointer";
import type { Authority } from "@/lib/auth/authority";
import type { IssuerKeyPair } from "@/lib/capability";
import { revokePrincipal, revokeSession } from "@/lib/data/revocations";
import { storeBatch } from "@/lib/ingest/store";
import { validateBatch } from "@/lib/ingest/validate";
import { type DemoEvent, generateDemoEvents } from "./generate";
import { loadOrCreateDemoPlatformKeys } from "./keys";
import { DEMO_TENANTS } from "./world";

export interface DemoLoadOptions {
  db: Db;
  dataDir: string;
  consoleKey: IssuerKeyPair;
  tenants: readonly string[];
  now?: number;
  days?: number;
  requestsPerDay?: number;
  /** Key for input digests (HMAC): the same the console uses for "was this input used?". */
  digestKey: Uint8Array | string;
  onProgress?: (p: { events: number; requests: number; estimate: number }) => void;
  /** Sees every token the demo mints (tests check none of them is ever stored). */
  onToken?: (token: string) => void;
}

/** Registers the demo platform's public keys and the console's own with the console. */
export async function registerDemoIssuers(
  db: Db,
  platform: Record<string, IssuerKeyPair>,
  consoleKey: IssuerKeyPair,
) {
  const rows = [
    ...Object.entries(platform).map(([tenant, k]) => ({ kid: k.kid, tenant, publicKey: k.publicKey })),
    { kid: consoleKey.kid, tenant: null, publicKey: consoleKey.publicKey },
  ];
  await db.insert(issuers).values(rows).onConflictDoNothing();
}

/**
 * Loads a week of demo traffic through the ingest path (the same validation and exactly-once
 * store the HTTP endpoint uses). Returns the number of events stored.
 */
export async function loadDemoActivity(o: DemoLoadOptions): Promise<number> {
  const platform = await loadOrCreateDemoPlatformKeys(o.dataDir, o.tenants);
  await registerDemoIssuers(o.db, platform, o.consoleKey);
  const signer = { kid: o.consoleKey.kid, privateKey: o.consoleKey.privateKey };
  const pending = new Map<string, DemoEvent[]>();
  let stored = 0;
  let requests = 0;
  const days = o.days ?? 7;
  const perDay = o.requestsPerDay ?? 88;
  // Ten principals, about 9.5 events a request; for the progress line only.
  const estimate = Math.round(days * perDay * 10 * 9.5);

  const flush = async (tenant: string) => {
    const batch = pending.get(tenant) ?? [];
    if (batch.length === 0) return;
    pending.set(tenant, []);
    // The demo's escalation events stand in for the console's own records of those days.
    const checked = validateBatch({ events: batch }, { consoleRecords: true });
    if (!checked.ok) {
      const first = checked.details?.[0];
      throw new Error(
        `demo event refused by ingest validation: ${first ? `${first.field} ${first.message}` : checked.error}`,
      );
    }
    const res = await storeBatch(o.db, { tenant, events: checked.events });
    stored += res.accepted;
  };

  const escalationEvents: DemoEvent[] = [];
  const consoleRevocations: DemoEvent[] = [];
  for await (const requestEvents of generateDemoEvents({
    now: o.now ?? Date.now(),
    days,
    seed: 20261126,
    keys: { tenants: platform, console: o.consoleKey },
    digestKey: o.digestKey,
    requestsPerDay: perDay,
    onToken: o.onToken,
  })) {
    requests++;
    for (const e of requestEvents) {
      if (e.type.startsWith("escalation.")) escalationEvents.push(e);
      if (isConsoleRevocation(e)) {
        consoleRevocations.push(e);
        continue;
      }
      const list = pending.get(e.tenant) ?? [];
      list.push(e);
      pending.set(e.tenant, list);
      if (list.length >= 1000) await flush(e.tenant);
    }
    if (requests % 50 === 0) o.onProgress?.({ events: stored, requests, estimate });
  }
  for (const tenant of pending.keys()) await flush(tenant);
  await recordDemoEscalations(o.db, escalationEvents);
  await revokeAsTheConsole(o.db, o.tenants, consoleRevocations);
  // The week "arrived" as it happened: received a moment after each event, not all at load time,
  // so the explorer does not mark the whole history late. received_at is outside the chain. One
  // statement per tenant: none changes rows of several tenants (docs/scale.md). The months that
  // puts them in must exist first (db/partitions.ts).
  const [first] = await o.db.select({ at: min(events.ts) }).from(events);
  if (first?.at) await ensureEventPartitions(o.db, { from: first.at });
  for (const tenant of o.tenants)
    await o.db
      .update(events)
      .set({ receivedAt: sql`${events.ts} + interval '0.2 seconds'` })
      .where(and(eq(events.tenant, tenant), sql`${events.receivedAt} > ${events.ts} + interval '1 minute'`));
  // The seed runs without a console process, hence without its checkpointer: sign the heads here.
  await checkpointMovedHeads(o.db, { signer });
  o.onProgress?.({ events: stored, requests, estimate: stored });
  return stored;
}

/** The generator's record of an admin's revocation (agent "console"), not a platform's report. */
function isConsoleRevocation(e: DemoEvent): boolean {
  return (e.type === "session.revoked" || e.type === "principal.revoked") && e.agent === "console";
}

/**
 * The demo's revocations ("carol left the company", bob's session) made through the console's own
 * revocation functions, at the moment the generator chose: so the Sessions and Revocations pages,
 * the verifier feed and the simulator's verifiers all see them. Sent through ingest instead they
 * would be a platform's report: shown, but in no feed, and carol's bot would keep running.
 * They run after the traffic is stored (the session rows exist then); the chain orders events by
 * sequence, and the explorer by time, so the revocation shows where it happened.
 */
async function revokeAsTheConsole(db: Db, demoTenants: readonly string[], evs: DemoEvent[]) {
  if (evs.length === 0) return;
  // The tenants revokePrincipal checks for; db/seed.ts adds the sign-ins to them afterwards.
  const known = DEMO_TENANTS.filter((t) => demoTenants.includes(t.id));
  await db
    .insert(tenants)
    .values(demoTenants.map((id) => known.find((t) => t.id === id) ?? { id, name: id }))
    .onConflictDoNothing();
  const admin: Authority = {
    userId: "00000000-0000-4000-8000-000000000000",
    email: DEMO_ADMIN,
    name: "Demo admin",
    role: "admin",
    tenants: demoTenants,
    activeTenant: null,
    sessionId: "demo-loader",
    authTime: new Date(),
  };
  for (const e of [...evs].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0))) {
    const clock = { clock: { now: () => Date.parse(e.ts) } };
    const reason = String(e.reason ?? "demo");
    if (e.type === "session.revoked")
      await revokeSession(db, admin, { tenant: e.tenant, session: String(e.session), reason }, clock);
    else
      await revokePrincipal(db, admin, { tenant: e.tenant, principal: String(e.principal), reason }, clock);
  }
}

/** The demo's admin, as db/seed.ts creates it. */
const DEMO_ADMIN = "admin@console.demo";

type EventCapabilityJson = { id: string; hash: string; expiresAt: string };

/**
 * The demo's escalations as the console records them (the events alone would leave the
 * Escalations page's history empty): who granted what, for how long, and how each ended.
 */
async function recordDemoEscalations(db: Db, evs: DemoEvent[]) {
  const issued = evs.filter((e) => e.type === "escalation.issued");
  const rows = issued.map((e) => {
    const cap = e.capability as EventCapabilityJson;
    const outcome = evs.find(
      (x) => x.type === "escalation.used" && (x.capability as EventCapabilityJson)?.id === cap.id,
    );
    const meta = (e.meta ?? {}) as {
      grantedBy?: string;
      ttlSeconds?: number;
      operation?: Record<string, unknown>;
    };
    const used = outcome?.outcome === "allowed";
    return {
      tenant: e.tenant,
      requestedBy: meta.grantedBy ?? "admin@console.demo",
      grantedBy: meta.grantedBy ?? "admin@console.demo",
      principal: String(e.principal),
      session: e.session ? String(e.session) : null,
      agent: e.agent ? String(e.agent) : null,
      operation: meta.operation ?? { resourceType: "Order", action: "write" },
      ttlSeconds: meta.ttlSeconds ?? 60,
      reason: String(e.reason ?? "demo"),
      status: used ? ("used" as const) : ("expired" as const),
      tokenHash: cap.hash,
      capabilityId: cap.id,
      requestedAt: new Date(e.ts),
      issuedAt: new Date(e.ts),
      expiresAt: new Date(cap.expiresAt),
      usedAt: used && outcome ? new Date(outcome.ts) : null,
      useCount: used ? 1 : 0,
    };
  });
  if (rows.length > 0) await db.insert(escalations).values(rows);
}

/** Events already stored: a demo interrupted half-way is detected by events without tenants. */
export async function countEvents(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(events);
  return row?.n ?? 0;
}

/** Clears what an interrupted first start left, before the demo is loaded again. */
export async function clearPartialDemo(db: Db): Promise<void> {
  await db.execute(
    sql`truncate events, capabilities, sessions, chain_heads, checkpoints, issuers, revocations, escalations restart identity`,
  );
}
