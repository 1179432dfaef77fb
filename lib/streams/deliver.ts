// The stream deliverer: at least once, in chain order, the event id as the idempotency key.
// Every console process runs it (lib/streams/deliverer.ts); a lease on the stream's row lets one
// process at a time deliver a stream, and every cursor move is fenced by that lease, so a process
// that lost its lease (it stalled past lease_until) cannot move the cursor back or forward.
// A batch that fails is retried with exponential back-off and full jitter; once a stream has
// failed for longer than the retry horizon, the events at its head go to dead letters and the
// stream moves on, so one poisoned event cannot stop a SIEM feed forever.
import { and, asc, eq, gt, isNotNull, lte, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { capabilities, chainHeads, events, type Stream, streamDeadLetters, streams } from "@/db/schema";
import { parseQuery } from "@/lib/query";
import { queryToSql } from "@/lib/query/sql";
import { type EgressPolicy, resolveDestination } from "./egress";
import type { StreamEvent } from "./formats";
import { openSecret } from "./secret-box";
import { buildRequests, type SinkConfig } from "./sinks";
import { type PostArgs, type PostResult, postPinned } from "./transport";

export const DELIVERY = {
  /** Events read per batch (JSON Lines and HEC send a batch as one request; webhooks one each). */
  batchSize: 500,
  /** A stream keeps its lease for further full batches in one round until this much time went by. */
  roundBudgetMs: 2_000,
  leaseMs: 30_000,
  timeoutMs: 10_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 10 * 60_000,
  /** A stream failing for this long dead-letters the events at its head and moves on. */
  horizonMs: 24 * 60 * 60_000,
  /** Streams one process takes per round. */
  streamsPerRound: 8,
};
export type DeliveryLimits = typeof DELIVERY;

export interface DeliverOptions {
  /** This process's lease name (host:pid:random). */
  owner: string;
  /** NEXTAUTH_SECRET: the key stream secrets are sealed under. */
  masterSecret: string;
  now?: () => Date;
  /** Tests and the bench pass their own; production resolves with DNS and posts with node:http. */
  lookup?: (host: string) => Promise<{ address: string; family: number }[]>;
  post?: (args: PostArgs) => Promise<PostResult>;
  random?: () => number;
  limits?: Partial<DeliveryLimits>;
}

export interface RoundReport {
  tenant: string;
  streamId: string;
  delivered: number;
  skipped: number;
  failed: string | null;
  deadLettered: number;
  disabled: boolean;
}

/** Loopback and private space an admin may open for one stream; link-local (metadata) never. */
export const PRIVATE_ALLOW: EgressPolicy = {
  allow: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "100.64.0.0/10", "::1", "fc00::/7"],
};
export const policyFor = (allowPrivate: boolean): EgressPolicy =>
  allowPrivate ? PRIVATE_ALLOW : { allow: [] };

/** Full jitter (AWS architecture blog): a random wait up to min(max, base·2^attempt). */
export function backoffMs(
  attempt: number,
  limits: { backoffBaseMs: number; backoffMaxMs: number },
  random: () => number,
) {
  const cap = Math.min(limits.backoffMaxMs, limits.backoffBaseMs * 2 ** Math.min(attempt, 30));
  return Math.round(limits.backoffBaseMs / 2 + random() * (cap - limits.backoffBaseMs / 2));
}

async function claimDue(db: Db, owner: string, now: Date, limits: DeliveryLimits): Promise<Stream[]> {
  const until = new Date(now.getTime() + limits.leaseMs);
  const at = sql`${now.toISOString()}::timestamptz`;
  const claimable = and(
    eq(streams.status, "active"),
    sql`(${streams.nextAttemptAt} is null or ${streams.nextAttemptAt} <= ${at})`,
    sql`(${streams.leaseUntil} is null or ${streams.leaseUntil} < ${at} or ${streams.leaseOwner} = ${owner})`,
  );
  // The due streams are read without a lock; each is then claimed by a statement on its own
  // tenant's row that checks the lease again, so no statement locks rows of several tenants
  // (docs/scale.md). Two instances racing for a stream: the second finds it leased and skips it.
  const due = await db
    .select({ tenant: streams.tenant, id: streams.id })
    .from(streams)
    .where(claimable)
    .orderBy(sql`${streams.nextAttemptAt} nulls first`, asc(streams.tenant), asc(streams.id))
    .limit(limits.streamsPerRound);
  const claimed: Stream[] = [];
  for (const s of due) {
    const [row] = await db
      .update(streams)
      .set({ leaseOwner: owner, leaseUntil: until })
      .where(and(eq(streams.tenant, s.tenant), eq(streams.id, s.id), claimable))
      .returning();
    if (row) claimed.push(row);
  }
  return claimed;
}

const eventColumns = {
  id: events.id,
  ts: events.ts,
  receivedAt: events.receivedAt,
  tenant: events.tenant,
  type: events.type,
  principal: events.principal,
  agent: events.agent,
  session: events.session,
  request: events.request,
  traceId: events.traceId,
  spanId: events.spanId,
  tool: events.tool,
  action: events.action,
  resourceType: events.resourceType,
  resourceId: events.resourceId,
  fields: events.fields,
  outcome: events.outcome,
  reason: events.reason,
  capabilityId: events.capabilityId,
  capabilityHash: events.capabilityHash,
  inputDigest: events.inputDigest,
  latencyMs: events.latencyMs,
  cost: events.cost,
  meta: events.meta,
  seq: events.seq,
  tier: events.tier,
};
const capabilityColumns = {
  id: capabilities.id,
  parentId: capabilities.parentId,
  rootId: capabilities.rootId,
  depth: capabilities.depth,
  issuerKid: capabilities.issuerKid,
  issuedAt: capabilities.issuedAt,
  expiresAt: capabilities.expiresAt,
  summary: capabilities.summary,
};

/** The stream's filter as a condition within its tenant; throws on a filter that no longer parses. */
export function streamCondition(stream: Pick<Stream, "tenant" | "filter">, now: Date) {
  const parsed = parseQuery(stream.filter, { now });
  if (!parsed.ok) throw new Error(`filter: ${parsed.error.message}`);
  const compiled = queryToSql(parsed.query, { tenants: [stream.tenant], detail: "full" });
  if (!compiled.ok) throw new Error(`filter: ${compiled.error.message}`);
  return compiled.where;
}

/** Events after `afterSeq` up to `headSeq` that match, in chain order, with their capabilities. */
export async function readStreamEvents(
  db: Db,
  args: {
    stream: Pick<Stream, "tenant" | "filter">;
    afterSeq: number;
    headSeq: number;
    limit: number;
    now: Date;
  },
): Promise<StreamEvent[]> {
  const rows = await db
    .select({ event: eventColumns, capability: capabilityColumns })
    .from(events)
    .leftJoin(
      capabilities,
      and(eq(capabilities.tenant, events.tenant), eq(capabilities.id, events.capabilityId)),
    )
    .where(
      and(
        eq(events.tenant, args.stream.tenant),
        gt(events.seq, args.afterSeq),
        lte(events.seq, args.headSeq),
        streamCondition(args.stream, args.now),
      ),
    )
    .orderBy(asc(events.seq))
    .limit(args.limit);
  return rows.map((r) => ({ event: r.event, capability: r.capability?.id ? r.capability : null }));
}

/** Moves the cursor (and the bookkeeping) only while this process still holds the lease. */
async function fenced(db: Db, stream: Stream, owner: string, set: Partial<typeof streams.$inferInsert>) {
  await db
    .update(streams)
    .set({ ...set, updatedAt: sql`now()` })
    .where(and(eq(streams.tenant, stream.tenant), eq(streams.id, stream.id), eq(streams.leaseOwner, owner)));
}

async function deliverOne(
  db: Db,
  stream: Stream,
  o: Required<Omit<DeliverOptions, "limits">> & {
    limits: DeliveryLimits;
    /** This round's reads, by tenant, filter and range (the round's streams share them). */
    reads: Map<string, StreamEvent[]>;
  },
) {
  const now = o.now();
  const report: RoundReport = {
    tenant: stream.tenant,
    streamId: stream.id,
    delivered: 0,
    skipped: 0,
    failed: null,
    deadLettered: 0,
    disabled: false,
  };
  const fail = async (
    error: string,
    opts: { disable?: boolean; retryAfterMs?: number | null; deadLetter?: StreamEvent[] } = {},
  ) => {
    report.failed = error;
    if (opts.disable) {
      report.disabled = true;
      await fenced(db, stream, o.owner, {
        status: "disabled",
        statusReason: error,
        lastError: error,
        leaseOwner: null,
        leaseUntil: null,
      });
      return;
    }
    const failingSince = stream.failingSince ?? now;
    const expired = now.getTime() - failingSince.getTime() >= o.limits.horizonMs;
    const dead = opts.deadLetter ?? [];
    if (expired && dead.length > 0) {
      const last = dead[dead.length - 1] as StreamEvent;
      await db.transaction(async (tx) => {
        await tx
          .insert(streamDeadLetters)
          .values(
            dead.map((s) => ({
              tenant: stream.tenant,
              streamId: stream.id,
              seq: s.event.seq,
              eventId: s.event.id,
              attempts: stream.attempts + 1,
              lastError: error,
            })),
          )
          .onConflictDoNothing();
        await tx
          .update(streams)
          .set({
            cursor: last.event.seq,
            attempts: 0,
            failingSince: null,
            nextAttemptAt: null,
            lastError: error,
            updatedAt: sql`now()`,
          })
          .where(
            and(
              eq(streams.tenant, stream.tenant),
              eq(streams.id, stream.id),
              eq(streams.leaseOwner, o.owner),
            ),
          );
      });
      report.deadLettered = dead.length;
      return;
    }
    const wait = Math.max(backoffMs(stream.attempts, o.limits, o.random), opts.retryAfterMs ?? 0);
    await fenced(db, stream, o.owner, {
      attempts: stream.attempts + 1,
      failingSince,
      nextAttemptAt: new Date(now.getTime() + Math.min(wait, o.limits.backoffMaxMs)),
      lastError: error,
      leaseOwner: null,
      leaseUntil: null,
    });
  };

  let secret: string;
  try {
    secret = openSecret({ masterSecret: o.masterSecret, owner: stream, sealed: stream.secretEnc });
  } catch (err) {
    await fail((err as Error).message);
    return report;
  }
  const destination = await resolveDestination(stream.url, policyFor(stream.allowPrivate), o.lookup);
  if (!destination.ok) {
    await fail(`destination refused: ${destination.message}`);
    return report;
  }
  const sink: SinkConfig = { kind: stream.kind, format: stream.format, signing: stream.signing, secret };

  // Dead letters an admin asked to redeliver go first, each on its own.
  const requeued = await db
    .select({ seq: streamDeadLetters.seq })
    .from(streamDeadLetters)
    .where(
      and(
        eq(streamDeadLetters.tenant, stream.tenant),
        eq(streamDeadLetters.streamId, stream.id),
        isNotNull(streamDeadLetters.requeuedAt),
      ),
    )
    .orderBy(asc(streamDeadLetters.seq))
    .limit(o.limits.batchSize);
  for (const { seq } of requeued) {
    const [one] = await readStreamEvents(db, {
      stream: { tenant: stream.tenant, filter: "" },
      afterSeq: seq - 1,
      headSeq: seq,
      limit: 1,
      now,
    });
    const sent = one ? await sendAll(sink, [one], destination, o) : { delivered: 0, error: null };
    if (sent.error) {
      await fail(`redelivery of dead letter seq ${seq}: ${sent.error}`);
      return report;
    }
    await db
      .delete(streamDeadLetters)
      .where(
        and(
          eq(streamDeadLetters.tenant, stream.tenant),
          eq(streamDeadLetters.streamId, stream.id),
          eq(streamDeadLetters.seq, seq),
        ),
      );
    report.delivered += sent.delivered;
  }

  const [head] = await db
    .select({ seq: chainHeads.seq })
    .from(chainHeads)
    .where(eq(chainHeads.tenant, stream.tenant));
  const headSeq = head?.seq ?? 0;
  // Full batches follow each other within the round's budget, so a busy tenant's stream keeps up
  // with ingest instead of moving one batch per round.
  const started = Date.now();
  for (;;) {
    let batch: StreamEvent[];
    try {
      // Streams of a tenant usually stand at the same cursor: one read serves those with one filter.
      const key = JSON.stringify([stream.tenant, stream.filter, stream.cursor, headSeq, o.limits.batchSize]);
      const cached = o.reads.get(key);
      batch =
        cached ??
        (await readStreamEvents(db, {
          stream,
          afterSeq: stream.cursor,
          headSeq,
          limit: o.limits.batchSize,
          now,
        }));
      if (!cached) o.reads.set(key, batch);
    } catch (err) {
      await fail((err as Error).message);
      return report;
    }
    // A short batch means every match up to the head is in it: the cursor can pass the head.
    const reachedHead = batch.length < o.limits.batchSize;
    const sent = await sendAll(sink, batch, destination, o);
    report.delivered += sent.delivered;
    const lastSent =
      sent.delivered > 0 ? (batch[sent.delivered - 1] as StreamEvent).event.seq : stream.cursor;
    const cursor = sent.error ? lastSent : reachedHead ? Math.max(headSeq, stream.cursor) : lastSent;
    report.skipped += Math.max(0, cursor - stream.cursor - sent.delivered);
    if (cursor !== stream.cursor || sent.delivered > 0) {
      await fenced(db, stream, o.owner, {
        cursor,
        delivered: stream.delivered + sent.delivered,
        ...(sent.delivered > 0 ? { lastSuccessAt: now } : {}),
        ...(sent.error ? {} : { attempts: 0, failingSince: null, nextAttemptAt: null, lastError: null }),
      });
      stream.cursor = cursor;
      stream.delivered += sent.delivered;
      if (sent.delivered > 0) {
        // Progress resets the horizon: only a stream stuck on the same events dead-letters them.
        stream.attempts = 0;
        stream.failingSince = null;
      }
    }
    if (sent.error) {
      await fail(sent.error, {
        disable: sent.status === 410,
        retryAfterMs: sent.retryAfterMs,
        deadLetter: sent.pending,
      });
      return report;
    }
    if (reachedHead || Date.now() - started >= o.limits.roundBudgetMs) break;
  }
  await fenced(db, stream, o.owner, { leaseOwner: null, leaseUntil: null });
  return report;
}

async function sendAll(
  sink: SinkConfig,
  batch: StreamEvent[],
  destination: { url: URL; address: string; family: 4 | 6 },
  o: { post: (args: PostArgs) => Promise<PostResult>; now: () => Date; limits: DeliveryLimits },
): Promise<{
  delivered: number;
  error: string | null;
  status?: number;
  retryAfterMs?: number | null;
  pending?: StreamEvent[];
}> {
  let delivered = 0;
  for (const request of buildRequests(sink, batch, Math.floor(o.now().getTime() / 1000))) {
    const r = await o.post({
      url: destination.url,
      address: destination.address,
      family: destination.family,
      headers: request.headers,
      body: request.body,
      timeoutMs: o.limits.timeoutMs,
    });
    if (r.error) {
      return {
        delivered,
        error: r.error,
        status: r.status,
        retryAfterMs: r.retryAfterMs,
        pending: request.events,
      };
    }
    delivered += request.events.length;
  }
  return { delivered, error: null };
}

/** One round: claim due streams, deliver each, release. Returns what happened per stream. */
export async function deliverDueStreams(db: Db, options: DeliverOptions): Promise<RoundReport[]> {
  const o = {
    owner: options.owner,
    masterSecret: options.masterSecret,
    now: options.now ?? (() => new Date()),
    lookup:
      options.lookup ??
      ((h: string) => import("node:dns/promises").then((d) => d.lookup(h, { all: true, verbatim: true }))),
    post: options.post ?? postPinned,
    random: options.random ?? Math.random,
    limits: { ...DELIVERY, ...options.limits },
    reads: new Map<string, StreamEvent[]>(),
  };
  const claimed = await claimDue(db, o.owner, o.now(), o.limits);
  const reports: RoundReport[] = [];
  for (const stream of claimed) reports.push(await deliverOne(db, stream, o));
  return reports;
}
