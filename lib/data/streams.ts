import "server-only";
import { randomBytes } from "node:crypto";
import { and, asc, count, desc, eq, gt, inArray, isNull, max, min, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "@/db/client";
import {
  chainHeads,
  events,
  STREAM_FORMATS,
  STREAM_KINDS,
  STREAM_SIGNINGS,
  type Stream,
  streamDeadLetters,
  streams,
} from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { type Authority, assertTenantsInScope } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { ConflictError, FieldError, NotFoundError } from "@/lib/errors";
import { parseQuery } from "@/lib/query";
import { policyFor } from "@/lib/streams/deliver";
import { resolveDestination } from "@/lib/streams/egress";
import { sealSecret } from "@/lib/streams/secret-box";
import { newWebhookKeys } from "@/lib/streams/webhook-signature";

const name = z
  .string({ error: "Name the stream." })
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, {
    error: "Use 1–64 letters, digits, spaces, dots, dashes or underscores.",
  });
const filter = z.string().trim().max(2000, { error: "At most 2,000 characters." }).default("");

export const createStreamSchema = z.object({
  tenant: z.string({ error: "Pick a tenant." }).trim().min(1, { error: "Pick a tenant." }).max(64),
  name,
  kind: z.enum(STREAM_KINDS, { error: `Pick one of ${STREAM_KINDS.join(", ")}.` }),
  format: z.enum(STREAM_FORMATS, { error: `Pick one of ${STREAM_FORMATS.join(", ")}.` }),
  url: z
    .string({ error: "Give the destination URL." })
    .trim()
    .min(1, { error: "Give the destination URL." })
    .max(2000),
  filter,
  signing: z.enum(STREAM_SIGNINGS).default("v1a"),
  /** The collector's token (Splunk HEC; optional bearer token for JSON Lines). Never echoed. */
  token: z.string().trim().max(512).default(""),
  allowPrivate: z.boolean().default(false),
});
export type CreateStreamInput = z.input<typeof createStreamSchema>;

const streamRef = {
  tenant: z.string().trim().min(1).max(64),
  id: z
    .string()
    .trim()
    .regex(/^st_[A-Za-z0-9_-]{8,64}$/, { error: "Unknown stream." }),
};
export const streamRefSchema = z.object(streamRef);
export const updateStreamSchema = z.object({ ...streamRef, filter, name: name.optional() });
export const replayStreamSchema = z.object({
  ...streamRef,
  /** Redeliver every matching event after this instant (the cursor moves back to just before it). */
  from: z.coerce.date({ error: "Give a date and time to replay from." }),
});

export interface StreamView {
  tenant: string;
  id: string;
  name: string;
  kind: Stream["kind"];
  format: Stream["format"];
  url: string;
  filter: string;
  signing: Stream["signing"];
  verifyKey: string | null;
  allowPrivate: boolean;
  status: Stream["status"];
  statusReason: string | null;
  cursor: number;
  head: number;
  /** Chain positions not yet delivered or skipped (an upper bound on undelivered events). */
  lagEvents: number;
  /** How long the oldest undelivered event has waited, or 0 when caught up. */
  lagMs: number;
  delivered: number;
  attempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  lastSuccessAt: Date | null;
  deadLetters: number;
  requeued: number;
  createdBy: string;
  createdAt: Date;
}

function checkFilter(text: string) {
  const parsed = parseQuery(text);
  if (!parsed.ok)
    throw new FieldError("filter", `${parsed.error.message} (at ${parsed.error.position ?? 0})`);
}

async function audit(
  tx: Executor,
  authority: Authority,
  type: `console.stream.${string}`,
  stream: Pick<Stream, "tenant" | "id" | "name">,
  meta: Record<string, unknown> = {},
) {
  await appendEvents(
    tx,
    consoleEvents({
      actor: authority,
      type,
      tenants: [stream.tenant],
      resource: { type: "stream", id: stream.id },
      meta: { name: stream.name, ...meta },
    }),
  );
}

/** Streams of the admin's tenants with their health; never a secret. */
export async function listStreams(db: Db, authority: Authority, now = new Date()): Promise<StreamView[]> {
  assertCan(authority, "streams.manage");
  const tenants = [...authority.tenants];
  if (tenants.length === 0) return [];
  const rows = await db
    .select()
    .from(streams)
    .where(inArray(streams.tenant, tenants))
    .orderBy(asc(streams.tenant), asc(streams.name));
  if (rows.length === 0) return [];
  const heads = new Map(
    (await db.select().from(chainHeads).where(inArray(chainHeads.tenant, tenants))).map((h) => [
      h.tenant,
      h.seq,
    ]),
  );
  const dead = await db
    .select({
      tenant: streamDeadLetters.tenant,
      streamId: streamDeadLetters.streamId,
      n: count(),
      requeued: sql<number>`count(${streamDeadLetters.requeuedAt})`,
    })
    .from(streamDeadLetters)
    .where(inArray(streamDeadLetters.tenant, tenants))
    .groupBy(streamDeadLetters.tenant, streamDeadLetters.streamId);
  const deadOf = new Map(dead.map((d) => [`${d.tenant}/${d.streamId}`, d]));
  const out: StreamView[] = [];
  for (const s of rows) {
    const head = heads.get(s.tenant) ?? 0;
    let lagMs = 0;
    if (head > s.cursor) {
      const [oldest] = await db
        .select({ at: min(events.receivedAt) })
        .from(events)
        .where(and(eq(events.tenant, s.tenant), eq(events.seq, s.cursor + 1)));
      lagMs = oldest?.at ? Math.max(0, now.getTime() - oldest.at.getTime()) : 0;
    }
    const d = deadOf.get(`${s.tenant}/${s.id}`);
    out.push({
      tenant: s.tenant,
      id: s.id,
      name: s.name,
      kind: s.kind,
      format: s.format,
      url: s.url,
      filter: s.filter,
      signing: s.signing,
      verifyKey: s.verifyKey,
      allowPrivate: s.allowPrivate,
      status: s.status,
      statusReason: s.statusReason,
      cursor: s.cursor,
      head,
      lagEvents: Math.max(0, head - s.cursor),
      lagMs,
      delivered: s.delivered,
      attempts: s.attempts,
      nextAttemptAt: s.nextAttemptAt,
      lastError: s.lastError,
      lastSuccessAt: s.lastSuccessAt,
      deadLetters: Number(d?.n ?? 0),
      requeued: Number(d?.requeued ?? 0),
      createdBy: s.createdBy,
      createdAt: s.createdAt,
    });
  }
  return out;
}

export interface CreatedStream {
  tenant: string;
  id: string;
  /** Shown once: the receiver's verification key (whpk_… for v1a, the whsec_… secret for v1). */
  verifyKey: string | null;
}

/**
 * A new stream. It starts at the tenant's current head (only events from now on; replay from a
 * point to send older ones). The destination is checked now and again before every delivery.
 */
export async function createStream(
  db: Db,
  authority: Authority,
  input: z.output<typeof createStreamSchema>,
  deps: {
    masterSecret: string;
    lookup?: (host: string) => Promise<{ address: string; family: number }[]>;
  },
): Promise<CreatedStream> {
  assertCan(authority, "streams.manage");
  assertTenantsInScope(authority, [input.tenant]);
  checkFilter(input.filter);
  const dest = await resolveDestination(input.url, policyFor(input.allowPrivate), deps.lookup);
  if (!dest.ok) throw new FieldError("url", `The URL ${dest.message}.`);
  if (input.kind === "splunk_hec" && !input.token)
    throw new FieldError("token", "Splunk HEC needs the collector's token.");
  const id = `st_${randomBytes(12).toString("base64url")}`;
  let secret = input.token;
  let verifyKey: string | null = null;
  let shown: string | null = null;
  if (input.kind === "webhook") {
    const keys = newWebhookKeys(input.signing);
    secret = keys.secret;
    // An Ed25519 verification key is public and may be shown again; an HMAC secret only now.
    verifyKey = input.signing === "v1a" ? keys.verifyKey : null;
    shown = keys.verifyKey;
  }
  const secretEnc = sealSecret({
    masterSecret: deps.masterSecret,
    owner: { tenant: input.tenant, id },
    plain: secret,
  });
  await db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: streams.id })
      .from(streams)
      .where(and(eq(streams.tenant, input.tenant), eq(streams.name, input.name)));
    if (existing) throw new ConflictError(`A stream named ${input.name} exists in ${input.tenant}.`);
    const [head] = await tx
      .select({ seq: chainHeads.seq })
      .from(chainHeads)
      .where(eq(chainHeads.tenant, input.tenant));
    await tx.insert(streams).values({
      tenant: input.tenant,
      id,
      name: input.name,
      kind: input.kind,
      format: input.format,
      url: dest.url.toString(),
      filter: input.filter,
      allowPrivate: input.allowPrivate,
      signing: input.kind === "webhook" ? input.signing : null,
      secretEnc,
      verifyKey,
      cursor: head?.seq ?? 0,
      createdBy: authority.email,
    });
    await audit(
      tx,
      authority,
      "console.stream.created",
      { tenant: input.tenant, id, name: input.name },
      {
        kind: input.kind,
        format: input.format,
        url: `${dest.url.origin}${dest.url.pathname}`,
        filter: input.filter,
        allowPrivate: input.allowPrivate,
      },
    );
  });
  return { tenant: input.tenant, id, verifyKey: shown };
}

async function loadOwned(
  tx: Executor,
  authority: Authority,
  ref: { tenant: string; id: string },
): Promise<Stream> {
  assertTenantsInScope(authority, [ref.tenant]);
  const [row] = await tx
    .select()
    .from(streams)
    .where(and(eq(streams.tenant, ref.tenant), eq(streams.id, ref.id)))
    .for("update");
  if (!row) throw new NotFoundError("Unknown stream.");
  return row;
}

export async function setStreamStatus(
  db: Db,
  authority: Authority,
  ref: { tenant: string; id: string },
  to: "active" | "paused",
): Promise<void> {
  assertCan(authority, "streams.manage");
  await db.transaction(async (tx) => {
    const s = await loadOwned(tx, authority, ref);
    if (s.status === to) return;
    await tx
      .update(streams)
      .set({
        status: to,
        statusReason: to === "paused" ? `paused by ${authority.email}` : null,
        ...(to === "active" ? { attempts: 0, failingSince: null, nextAttemptAt: null } : {}),
        updatedAt: sql`now()`,
      })
      .where(and(eq(streams.tenant, s.tenant), eq(streams.id, s.id)));
    await audit(tx, authority, to === "active" ? "console.stream.resumed" : "console.stream.paused", s, {
      from: s.status,
    });
  });
}

export async function updateStreamFilter(
  db: Db,
  authority: Authority,
  input: z.output<typeof updateStreamSchema>,
): Promise<void> {
  assertCan(authority, "streams.manage");
  checkFilter(input.filter);
  await db.transaction(async (tx) => {
    const s = await loadOwned(tx, authority, input);
    await tx
      .update(streams)
      .set({ filter: input.filter, ...(input.name ? { name: input.name } : {}), updatedAt: sql`now()` })
      .where(and(eq(streams.tenant, s.tenant), eq(streams.id, s.id)));
    await audit(tx, authority, "console.stream.changed", s, { filter: { from: s.filter, to: input.filter } });
  });
}

/** Moves the cursor back to just before `from`: every later matching event is sent again. */
export async function replayStream(
  db: Db,
  authority: Authority,
  input: z.output<typeof replayStreamSchema>,
): Promise<{ cursor: number }> {
  assertCan(authority, "streams.manage");
  return db.transaction(async (tx) => {
    const s = await loadOwned(tx, authority, input);
    // Chain order, not ts: the last seq received before `from` (late events follow the chain).
    const [before] = await tx
      .select({ seq: max(events.seq) })
      .from(events)
      .where(
        and(
          eq(events.tenant, s.tenant),
          sql`${events.receivedAt} < ${input.from.toISOString()}::timestamptz`,
        ),
      );
    const cursor = Math.min(Number(before?.seq ?? 0), s.cursor);
    await tx
      .update(streams)
      .set({ cursor, attempts: 0, failingSince: null, nextAttemptAt: null, updatedAt: sql`now()` })
      .where(and(eq(streams.tenant, s.tenant), eq(streams.id, s.id)));
    await audit(tx, authority, "console.stream.replayed", s, {
      from: input.from.toISOString(),
      cursor: { from: s.cursor, to: cursor },
    });
    return { cursor };
  });
}

export async function requeueDeadLetters(
  db: Db,
  authority: Authority,
  ref: { tenant: string; id: string },
): Promise<{ requeued: number }> {
  assertCan(authority, "streams.manage");
  return db.transaction(async (tx) => {
    const s = await loadOwned(tx, authority, ref);
    const rows = await tx
      .update(streamDeadLetters)
      .set({ requeuedAt: sql`now()` })
      .where(
        and(
          eq(streamDeadLetters.tenant, s.tenant),
          eq(streamDeadLetters.streamId, s.id),
          isNull(streamDeadLetters.requeuedAt),
        ),
      )
      .returning({ seq: streamDeadLetters.seq });
    await tx
      .update(streams)
      .set({ nextAttemptAt: null, updatedAt: sql`now()` })
      .where(and(eq(streams.tenant, s.tenant), eq(streams.id, s.id)));
    await audit(tx, authority, "console.stream.dead_letters_requeued", s, { count: rows.length });
    return { requeued: rows.length };
  });
}

export async function listDeadLetters(
  db: Db,
  authority: Authority,
  ref: { tenant: string; id: string },
  limit = 100,
) {
  assertCan(authority, "streams.manage");
  assertTenantsInScope(authority, [ref.tenant]);
  return db
    .select()
    .from(streamDeadLetters)
    .where(
      and(
        eq(streamDeadLetters.tenant, ref.tenant),
        eq(streamDeadLetters.streamId, ref.id),
        gt(streamDeadLetters.seq, 0),
      ),
    )
    .orderBy(desc(streamDeadLetters.seq))
    .limit(limit);
}

export async function deleteStream(
  db: Db,
  authority: Authority,
  ref: { tenant: string; id: string },
): Promise<void> {
  assertCan(authority, "streams.manage");
  await db.transaction(async (tx) => {
    const s = await loadOwned(tx, authority, ref);
    await tx
      .delete(streamDeadLetters)
      .where(and(eq(streamDeadLetters.tenant, s.tenant), eq(streamDeadLetters.streamId, s.id)));
    await tx.delete(streams).where(and(eq(streams.tenant, s.tenant), eq(streams.id, s.id)));
    await audit(tx, authority, "console.stream.deleted", s, { delivered: s.delivered });
  });
}
