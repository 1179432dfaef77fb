// Restoring a retention archive (docs/retention.md): the archive is verified first (against the
// console keys the database knows), must be the tenant's latest cut (archives go back newest
// first), and its rows go back in one transaction: the cut is removed, so verification starts
// from the cut before it again and runs through the restored rows. Retention for the tenant is
// switched off (recorded in its chain), or the next sweep would cut the same rows again.
import { randomBytes } from "node:crypto";
import { and, desc, eq } from "drizzle-orm";
import type { Db, Executor } from "@/db/client";
import { ensureEventPartitions } from "@/db/partitions";
import { type Event, retentionCuts, tenants } from "@/db/schema";
import { ALL_EVENT_COLUMNS, appendEvents, eventsInsert, lockChainHead } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { addToRollups } from "@/lib/audit/rollups";
import {
  CONTENT_VERSION_ERASABLE,
  commitmentsFromSalts,
  ERASED_PRINCIPAL,
  ERASURE_EVENT_TYPE,
  loadSubjectKeys,
  saltOf,
  seqDigest,
  subjectsOf,
} from "@/lib/audit/subjects";
import { type ArchivedEvent, readArchive, verifyArchive } from "./archive";
import { retentionDays } from "./sweep";

export class RestoreRefused extends Error {}

export interface Restored {
  tenant: string;
  fromSeq: number;
  toSeq: number;
  events: number;
  /** The retention days switched off (null when none was set). */
  retentionWas: number | null;
}

export async function restoreArchive(
  db: Db,
  args: { file: string; keys: ReadonlyMap<string, string>; actor?: { email: string; sessionId: string } },
): Promise<Restored> {
  const check = await verifyArchive(args.file, args.keys);
  if (!check.ok || !check.header)
    throw new RestoreRefused(`the archive does not verify: ${check.problems.slice(0, 3).join("; ")}`);
  const h = check.header;
  const tenant = h.tenant;
  return db.transaction(async (tx) => {
    await lockChainHead(tx, tenant);
    const cuts = await tx
      .select()
      .from(retentionCuts)
      .where(eq(retentionCuts.tenant, tenant))
      .orderBy(desc(retentionCuts.seq))
      .limit(2);
    const [latest, before] = cuts;
    if (!latest) throw new RestoreRefused(`tenant ${tenant} has no retention cut: nothing to restore`);
    if (latest.seq !== h.end.seq || latest.hash !== h.end.hash)
      throw new RestoreRefused(
        latest.seq > h.end.seq
          ? `restore the newer archive first: tenant ${tenant}'s latest cut is at seq ${latest.seq} (${latest.archive})`
          : `this archive ends at seq ${h.end.seq}, not at tenant ${tenant}'s cut (seq ${latest.seq}, ${latest.archive})`,
      );
    if ((before?.seq ?? 0) !== h.start.seq)
      throw new RestoreRefused(
        `this archive starts after seq ${h.start.seq}, but the cut before it is at seq ${before?.seq ?? 0}`,
      );
    let batch: ArchivedEvent[] = [];
    let count = 0;
    let oldest: Date | null = null;
    // Rows of people erased since the archive was made, erased again on the way in; recorded
    // below like any erasure, so verification knows who blanked them.
    const reErased = { by: randomBytes(16).toString("hex"), seqs: [] as number[] };
    const flush = async () => {
      if (batch.length === 0) return;
      const first = new Date(Math.min(...batch.map((r) => r.receivedAt.getTime())));
      if (!oldest || first < oldest) {
        oldest = first;
        await ensureEventPartitions(tx, { from: first });
      }
      batch = await keepErasures(tx, tenant, batch, reErased);
      await tx.execute(eventsInsert(batch, ALL_EVENT_COLUMNS));
      await addToRollups(tx, batch);
      count += batch.length;
      batch = [];
    };
    for await (const item of readArchive(args.file)) {
      if (!("row" in item)) continue;
      batch.push(item.row);
      if (batch.length >= 1000) await flush();
    }
    await flush();
    await tx
      .delete(retentionCuts)
      .where(and(eq(retentionCuts.tenant, tenant), eq(retentionCuts.seq, latest.seq)));
    const [t] = await tx.select().from(tenants).where(eq(tenants.id, tenant)).for("update");
    const was = retentionDays(t?.settings);
    if (t && was !== null) {
      const { retentionDays: _off, ...rest } = t.settings as Record<string, unknown>;
      await tx.update(tenants).set({ settings: rest }).where(eq(tenants.id, tenant));
    }
    const actor = args.actor ?? { email: "console", sessionId: "restore" };
    if (reErased.seqs.length > 0)
      await appendEvents(
        tx,
        consoleEvents({
          actor,
          type: ERASURE_EVENT_TYPE,
          tenants: [tenant],
          resource: { type: "Tenant", id: tenant },
          meta: {
            reference: `restore of ${latest.archive}`,
            events: reErased.seqs.length,
            notErasable: 0,
            erasure: reErased.by,
            firstSeq: reErased.seqs[0],
            lastSeq: reErased.seqs.at(-1),
            digest: seqDigest(reErased.seqs),
          },
        }),
      );
    await appendEvents(
      tx,
      consoleEvents({
        actor,
        type: "console.retention.restored",
        tenants: [tenant],
        resource: { type: "Tenant", id: tenant },
        meta: {
          fromSeq: h.start.seq + 1,
          toSeq: h.end.seq,
          events: count,
          archive: latest.archive,
          archiveSha256: latest.archiveSha256,
          retentionWas: was,
        },
      }),
    );
    return { tenant, fromSeq: h.start.seq + 1, toSeq: h.end.seq, events: count, retentionWas: was };
  });
}

/**
 * An archive made before its subject was erased still holds the values and their salts: put
 * back, such a row is erased again (its commitments from the archive's salts, values blanked),
 * since the subject's key is gone, or was replaced by a new one when the subject came back.
 */
async function keepErasures(
  tx: Executor,
  tenant: string,
  archived: ArchivedEvent[],
  reErased: { by: string; seqs: number[] },
): Promise<Event[]> {
  // Archives made before erasable events existed have no content version: 1.
  const batch = archived.map((r) => ({
    ...r,
    contentVersion: r.contentVersion ?? 1,
    erased: r.erased ?? null,
  }));
  const salted = batch.filter((r) => r.salts);
  if (salted.length === 0) return batch;
  const keys = await loadSubjectKeys(tx, tenant, subjectsOf(salted));
  return batch.map(({ salts, ...row }) => {
    // verifyArchive refuses salts anywhere else; the check is repeated where it matters.
    if (!salts || row.contentVersion !== CONTENT_VERSION_ERASABLE || row.erased) return row;
    const key = keys.get(row.principal ?? "");
    const same = key && saltOf(key, tenant, row.id, "principal").toString("hex") === salts.principal;
    if (same) return row;
    reErased.seqs.push(row.seq);
    const erased = { ...commitmentsFromSalts(row, salts), by: reErased.by };
    return { ...row, erased, principal: ERASED_PRINCIPAL, meta: {} };
  });
}
