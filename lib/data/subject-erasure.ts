// Erasing a subject (a principal of a tenant) inside retention: issue 17 point 2,
// docs/retention.md "Erasing a subject". Each erasable event (content version 2,
// lib/audit/subjects.ts) of the subject keeps the commitments its content hash covers in
// `erased`, loses its principal and meta, and the subject's key is deleted last: the chain,
// the Merkle tree and every checkpoint still verify, and nobody can read or guess the values.
import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "@/db/client";
import { events, gatewayClients, subjectKeys } from "@/db/schema";
import { appendEvents, lockChainHead } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import {
  CONTENT_VERSION_ERASABLE,
  commitmentsOf,
  ERASED_PRINCIPAL,
  ERASURE_EVENT_TYPE,
  erasureIdOf,
  seqDigest,
} from "@/lib/audit/subjects";
import { type Authority, assertTenantsInScope } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { ConflictError, ReauthRequiredError } from "@/lib/errors";
import { REAUTH_WINDOW_MS } from "./escalations";
import { tenantField } from "./tenant-admin";

const CHUNK = 500;

export const eraseSubjectSchema = z
  .object({
    tenant: tenantField,
    // Not trimmed: a principal is matched exactly as events name it, spaces included.
    subject: z
      .string()
      .min(1, { error: "Name the principal to erase, exactly as events name it." })
      .max(320, { error: "A principal is at most 320 characters." })
      .refine((s) => s !== ERASED_PRINCIPAL, { error: "That principal is already erased." }),
    confirm: z.string(),
    reference: z
      .string()
      .trim()
      .min(1, { error: "Give the request's reference (a ticket or case number): the erasure records it." })
      .max(200, { error: "The reference is at most 200 characters." }),
  })
  .refine((v) => v.confirm === v.subject, {
    error: "Type the principal again, exactly: erasure cannot be undone.",
    path: ["confirm"],
  });
export type EraseSubjectInput = z.output<typeof eraseSubjectSchema>;

/** Refused as asked (nothing erased): the message says why. */
export class EraseRefused extends ConflictError {}

export interface Erased {
  tenant: string;
  /** Events whose principal and meta were erased. */
  events: number;
  /**
   * The subject's events that cannot be erased (content version 1: stored before erasure existed,
   * or the console's own records): kept until retention.
   */
  notErasable: number;
}

/**
 * Erases the subject's values from every erasable event, then deletes its key. The events are
 * done in chunks, each its own transaction (a busy subject has hundreds of thousands); the last
 * one holds the tenant's chain-head lock, so no batch of the subject's events commits with the
 * key after it is gone. Safe to run again after an interruption: erased rows are skipped.
 */
export async function eraseSubject(
  db: Db,
  authority: Authority,
  input: EraseSubjectInput,
  opts: { now?: Date; onProgress?: (events: number) => void } = {},
): Promise<Erased> {
  assertCan(authority, "subjects.erase");
  assertTenantsInScope(authority, [input.tenant]);
  const now = opts.now ?? new Date();
  if (now.getTime() - authority.authTime.getTime() > REAUTH_WINDOW_MS)
    throw new ReauthRequiredError(
      "Sign in again to confirm it is you: erasing a person's data cannot be undone and needs a sign-in from the last 5 minutes.",
    );
  const { tenant, subject } = input;
  const active = await db
    .select({ id: gatewayClients.id })
    .from(gatewayClients)
    .where(
      and(
        eq(gatewayClients.tenant, tenant),
        eq(gatewayClients.principal, subject),
        isNull(gatewayClients.revokedAt),
      ),
    )
    .limit(1);
  if (active.length > 0)
    throw new EraseRefused(
      "This principal still has a gateway client that is not revoked: revoke it on the Gateway page first.",
    );

  let erased = 0;
  // Chunks outside the chain-head lock: ingest of the tenant goes on meanwhile.
  for (;;) {
    const n = await db.transaction((tx) => eraseChunk(tx, tenant, subject));
    erased += n;
    opts.onProgress?.(erased);
    if (n < CHUNK) break;
  }
  return db.transaction(async (tx) => {
    // The chain-head lock holds the tenant's writers back: no event of the subject arrives now.
    await lockChainHead(tx, tenant);
    const [key] = await tx
      .select({ key: subjectKeys.key })
      .from(subjectKeys)
      .where(and(eq(subjectKeys.tenant, tenant), eq(subjectKeys.subject, subject)))
      .for("update");
    for (let n = CHUNK; n === CHUNK; ) {
      n = await eraseChunk(tx, tenant, subject);
      erased += n;
    }
    // The rows this erasure tagged, an interrupted earlier run's included: the record binds them.
    const erasure = key ? erasureIdOf(key.key) : null;
    const tagged = erasure
      ? (
          (await tx.execute(sql`
          select "seq" from "events"
           where "tenant" = ${tenant} and "principal" = ${ERASED_PRINCIPAL} and "erased"->>'by' = ${erasure}
           order by "seq"`)) as unknown as { rows: { seq: number | string }[] }
        ).rows.map((r) => Number(r.seq))
      : [];
    const deleted = await tx
      .delete(subjectKeys)
      .where(and(eq(subjectKeys.tenant, tenant), eq(subjectKeys.subject, subject)))
      .returning({ subject: subjectKeys.subject });
    const old = (await tx.execute(sql`
      select count(*)::int as "n" from "events"
       where "tenant" = ${tenant} and "principal" = ${subject} and "content_version" = 1`)) as unknown as {
      rows: { n: number }[];
    };
    const notErasable = Number(old.rows[0]?.n ?? 0);
    if (deleted.length === 0 && tagged.length === 0 && notErasable === 0)
      throw new EraseRefused(`No events of tenant ${tenant} name this principal: check the spelling.`);
    await eraseDerived(tx, tenant, subject, erasure);
    // The record names the request's reference and the counts, never the subject.
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: ERASURE_EVENT_TYPE,
        tenants: [tenant],
        resource: { type: "Tenant", id: tenant },
        meta: {
          reference: input.reference,
          events: tagged.length,
          notErasable,
          ...(erasure
            ? {
                erasure,
                firstSeq: tagged[0] ?? null,
                lastSeq: tagged.at(-1) ?? null,
                digest: seqDigest(tagged),
              }
            : {}),
        },
        now,
      }),
    );
    return { tenant, events: tagged.length, notErasable };
  });
}

/** Erases up to CHUNK of the subject's erasable rows; the key row is locked meanwhile. */
async function eraseChunk(tx: Executor, tenant: string, subject: string): Promise<number> {
  const [key] = await tx
    .select({ key: subjectKeys.key })
    .from(subjectKeys)
    .where(and(eq(subjectKeys.tenant, tenant), eq(subjectKeys.subject, subject)))
    .for("update");
  if (!key) return 0;
  const keys = new Map([[subject, key.key]]);
  const rows = await tx
    .select({
      id: events.id,
      tenant: events.tenant,
      principal: events.principal,
      meta: events.meta,
    })
    .from(events)
    .where(
      and(
        eq(events.tenant, tenant),
        eq(events.principal, subject),
        eq(events.contentVersion, CONTENT_VERSION_ERASABLE),
        isNull(events.erased),
      ),
    )
    .limit(CHUNK);
  if (rows.length === 0) return 0;
  const by = erasureIdOf(key.key);
  const updates = rows.map((r) => ({ id: r.id, erased: { ...commitmentsOf(r, keys), by } }));
  // By (tenant, id), unique within the tenant (writers check it under the chain-head lock); not
  // by received_at, which JavaScript would round to the millisecond.
  const done = (await tx.execute(sql`
    update "events" e
       set "erased" = u."erased", "principal" = ${ERASED_PRINCIPAL}, "meta" = '{}'::jsonb
      from json_to_recordset(${JSON.stringify(updates)}::json) as u("id" text, "erased" jsonb)
     where e."tenant" = ${tenant} and e."id" = u."id" and e."principal" = ${subject}
       and e."erased" is null
    returning e."id"`)) as unknown as { rows: unknown[] };
  // The key is deleted only after every row it salts is erased: never lose count.
  if (done.rows.length !== rows.length)
    throw new Error(
      `erasure updated ${done.rows.length} of ${rows.length} rows; nothing of this chunk is kept`,
    );
  return rows.length;
}

/**
 * The subject in what is derived from events and kept beside them (none of it is chained):
 * sessions, capabilities (their principal, and the name inside their summaries), escalations,
 * gateway clients and requests, the Overview's principal rollups, and the alerts opened on the
 * subject's events (their title when it holds the name, group values and dedup key).
 */
async function eraseDerived(
  tx: Executor,
  tenant: string,
  subject: string,
  erasure: string | null,
): Promise<void> {
  for (const table of ["sessions", "escalations", "gateway_clients", "gateway_escalation_requests"])
    await tx.execute(
      sql`update ${sql.identifier(table)} set "principal" = ${ERASED_PRINCIPAL} where "tenant" = ${tenant} and "principal" = ${subject}`,
    );
  // Every JSON string in a summary that is exactly the name (quotes included, so a short name
  // never rewrites part of another word, and the JSON stays valid).
  const inJson = JSON.stringify(subject);
  const erasedJson = JSON.stringify(ERASED_PRINCIPAL);
  await tx.execute(sql`
    update "capabilities"
       set "principal" = case when "principal" = ${subject} then ${ERASED_PRINCIPAL} else "principal" end,
           "summary" = replace("summary"::text, ${inJson}, ${erasedJson})::jsonb
     where "tenant" = ${tenant} and ("principal" = ${subject} or strpos("summary"::text, ${inJson}) > 0)`);
  // An alert opened on the subject's event: its console.alert.opened record names the subject
  // and was erased with the rest (lib/alerts/runner.ts). The alert row keeps its rule, severity,
  // status and note; a title holding the name becomes the rule's name.
  if (erasure)
    await tx.execute(sql`
      update "alerts" a
         set "title" = case when strpos(a."title", ${subject}) > 0
                            then a."rule_name" || ${` — ${ERASED_PRINCIPAL}`} else a."title" end,
             "group" = coalesce((
               select jsonb_object_agg(g.k, case when g.v = to_jsonb(${subject}::text)
                                                 then to_jsonb(${ERASED_PRINCIPAL}::text) else g.v end)
                 from jsonb_each(a."group") as g(k, v)), '{}'::jsonb),
             "dedup_key" = replace(a."dedup_key", ${inJson}, ${erasedJson})
       where a."tenant" = ${tenant}
         and a."id" in (select "resource_id" from "events"
                         where "tenant" = ${tenant} and "type" = 'console.alert.opened'
                           and "erased"->>'by' = ${erasure})`);
  await tx.execute(sql`
    insert into "event_rollups_daily" ("tenant", "day", "dim", "value", "n")
    select "tenant", "day", "dim", ${ERASED_PRINCIPAL}, "n" from "event_rollups_daily"
     where "tenant" = ${tenant} and "dim" = 'principal' and "value" = ${subject}
    on conflict on constraint "event_rollups_daily_key" do update
       set "n" = "event_rollups_daily"."n" + excluded."n"`);
  await tx.execute(sql`
    delete from "event_rollups_daily" where "tenant" = ${tenant} and "dim" = 'principal' and "value" = ${subject}`);
}
