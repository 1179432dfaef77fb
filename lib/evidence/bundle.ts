import "server-only";
import { createHash } from "node:crypto";
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_V2,
  type BundleManifest,
  type BundleSource,
  type EvidenceBundle,
  EXPORT_EVENT_TYPE,
} from "@capability-console/sdk/evidence";
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { type Event, events } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { canonicalContent, contentHash } from "@/lib/audit/chain";
import { consoleEvents } from "@/lib/audit/console-event";
import {
  CONTENT_VERSION_ERASABLE,
  ContentUnverifiable,
  loadSubjectKeys,
  type SubjectKeys,
  saltsOf,
  subjectsOf,
} from "@/lib/audit/subjects";
import type { Authority } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { exportEvents, prepareEventsQuery } from "@/lib/data/events-query";
import { type QueryBudget, QueryTooExpensiveError } from "@/lib/data/query-budget";
import { formatTlogProof } from "@/lib/merkle/note";
import { type SlotLimiter, streamSlots } from "@/lib/server/stream-slots";
import type { ProofSource } from "./proof-source";

/** A bundle is one JSON file held in memory: past this many events, narrow the query. */
export const MAX_BUNDLE_EVENTS = 20_000;
const ROW_BATCH = 1_000;
const ID = /^[A-Za-z0-9_.:@/-]{1,200}$/;

export type ExportRequest =
  | { kind: "query"; q: string; tenant?: string | null }
  | { kind: "request" | "capability"; id: string; tenant?: string | null };

export type BundleResult =
  | { ok: true; bundle: EvidenceBundle; json: string; filename: string }
  | { ok: false; status: 400 | 403 | 409 | 422 | 429 | 503; error: string; field?: string };

export interface BundleOptions {
  proofs: ProofSource;
  slots?: SlotLimiter;
  budget?: QueryBudget;
  now?: Date;
}

/** The explorer query a source stands for (one tenant's events; ids cannot inject query syntax). */
function queryOf(req: ExportRequest): { q: string; source: BundleSource } | { error: string; field: string } {
  if (req.kind === "query") return { q: req.q, source: { kind: "query", query: req.q } };
  if (!ID.test(req.id)) return { error: "id must be 1-200 letters, digits or _.:@/-", field: "id" };
  // A capability's bundle holds its events and those of every capability attenuated from it.
  const q = req.kind === "request" ? `request:${req.id}` : `under:${req.id}`;
  return { q, source: { kind: req.kind, id: req.id } };
}

const hexBytes = (h: string) => Uint8Array.from(Buffer.from(h.slice("sha256:".length), "hex"));

async function loadRows(db: Db, tenant: string, ids: string[]): Promise<Event[]> {
  const out: Event[] = [];
  for (let i = 0; i < ids.length; i += ROW_BATCH) {
    const batch = ids.slice(i, i + ROW_BATCH);
    out.push(
      ...(await db
        .select()
        .from(events)
        .where(and(eq(events.tenant, tenant), inArray(events.id, batch)))),
    );
  }
  return out;
}

/**
 * Builds an evidence bundle (docs/evidence.md) for one tenant: the events an explorer query, a
 * request or a capability subtree selects, each with its canonical text and an inclusion proof
 * against one signed checkpoint, plus the export's own audit event, which records who exported
 * what and a digest of the events, and binds the manifest to the signed log. Refusals (bad
 * input, a role without the permission, a tenant outside scope, too many exports at once, a
 * query past its budget or too many events) come before the audit record.
 */
export async function buildEvidenceBundle(
  db: Db,
  authority: Authority,
  req: ExportRequest,
  opts: BundleOptions,
): Promise<BundleResult> {
  assertCan(authority, "evidence.export");
  const tenant =
    req.tenant || (authority.activeTenant ?? (authority.tenants.length === 1 ? authority.tenants[0] : null));
  if (!tenant)
    return {
      ok: false,
      status: 400,
      error: "Choose one tenant: a bundle covers one tenant's log.",
      field: "tenant",
    };
  if (!authority.tenants.includes(tenant))
    return { ok: false, status: 403, error: "That tenant is outside your scope.", field: "tenant" };
  const scoped: Authority = { ...authority, activeTenant: tenant };
  const query = queryOf(req);
  if ("error" in query) return { ok: false, status: 400, error: query.error, field: query.field };
  const prepared = prepareEventsQuery(scoped, query.q, opts.now);
  if (!prepared.ok)
    return {
      ok: false,
      status: prepared.error.code === "forbidden" ? 403 : 400,
      error: prepared.error.message,
      field: "q",
    };

  const slots = opts.slots ?? streamSlots().exports;
  const release = slots.acquire(`user:${authority.userId}`);
  if (!release)
    return {
      ok: false,
      status: 429,
      error: `Too many exports running at once: at most ${slots.max} per user.`,
    };
  try {
    const ids: string[] = [];
    for await (const row of exportEvents(db, scoped, {
      q: query.q,
      sort: "ts_asc",
      now: opts.now,
      budget: opts.budget,
    })) {
      if (ids.length === MAX_BUNDLE_EVENTS)
        return {
          ok: false,
          status: 422,
          error: `More than ${MAX_BUNDLE_EVENTS} events match: narrow the query (a time range) and export in parts.`,
          field: "q",
        };
      ids.push(row.id);
    }
    // Erasable events hash with their subjects' keys; the bundle discloses each one's salts.
    // An erasure committing between reading the rows and the keys leaves rows in clear whose
    // key is gone: read the rows once more, and they come back erased.
    let rows: Event[] = [];
    let keys: SubjectKeys = new Map();
    for (let read = 0; read < 2; read++) {
      rows = (await loadRows(db, tenant, ids)).sort((a, b) => a.seq - b.seq);
      keys = await loadSubjectKeys(db, tenant, subjectsOf(rows));
      const current = keys;
      if (
        !rows.some(
          (r) =>
            r.contentVersion === CONTENT_VERSION_ERASABLE && !r.erased && !current.has(r.principal ?? ""),
        )
      )
        break;
    }
    const hashOf = (r: Event) => {
      try {
        return contentHash(r, keys);
      } catch (err) {
        if (err instanceof ContentUnverifiable) return null;
        throw err;
      }
    };
    const broken = rows.find((r) => hashOf(r) !== r.contentHash);
    if (broken)
      return {
        ok: false,
        status: 409,
        error: `Event ${broken.id} no longer matches its content hash: run Verify audit log before exporting.`,
      };
    // v2 when an event is erasable (its principal and meta are read from disclosures); a bundle
    // of older events stays v1, readable by verifiers that know v1 only.
    const format = rows.some((r) => r.contentVersion === CONTENT_VERSION_ERASABLE)
      ? BUNDLE_FORMAT_V2
      : BUNDLE_FORMAT;
    const leavesDigest = `sha256:${createHash("sha256")
      .update(Buffer.concat(rows.map((r) => hexBytes(r.contentHash))))
      .digest("hex")}`;
    const first = rows.reduce<Date | null>((m, r) => (m === null || r.ts < m ? r.ts : m), null);
    const last = rows.reduce<Date | null>((m, r) => (m === null || r.ts > m ? r.ts : m), null);
    const source = { ...query.source, from: first?.toISOString() ?? null, to: last?.toISOString() ?? null };
    const exportedBy = { email: authority.email, userId: authority.userId };
    const [record] = consoleEvents({
      actor: authority,
      type: EXPORT_EVENT_TYPE,
      tenants: [tenant],
      resource: req.kind === "query" ? { type: "query", id: "explorer" } : { type: req.kind, id: req.id },
      meta: { source, eventCount: rows.length, leavesDigest, exportedBy, format },
      now: opts.now,
    });
    if (!record) throw new Error("no export event");
    await db.transaction((tx) => appendEvents(tx, [record]));
    const [stored] = await loadRows(db, tenant, [record.id]);
    if (!stored) throw new Error("the export event was not stored");

    try {
      await opts.proofs.checkpointNow(tenant);
    } catch (err) {
      console.error("[evidence] no checkpoint covers the export:", err instanceof Error ? err.message : err);
    }
    const checkpoint = await opts.proofs.getLatestTreeCheckpoint(tenant);
    if (!checkpoint || checkpoint.size < stored.seq)
      return {
        ok: false,
        status: 503,
        error: "The log has no signed checkpoint covering this export yet: try again.",
      };
    const indices = [...rows.map((r) => r.seq - 1), stored.seq - 1];
    const proofs = await opts.proofs.getInclusionProofs({ tenant, indices, size: checkpoint.size });
    const entry = (r: Event) => {
      const proof = proofs.get(r.seq - 1);
      if (!proof) throw new Error(`no inclusion proof for leaf ${r.seq - 1}`);
      const salts = saltsOf(r, keys);
      return {
        canonical: canonicalContent(r, keys),
        proof: formatTlogProof({ index: r.seq - 1, proof, signedCheckpoint: checkpoint.note }),
        ...(salts
          ? {
              disclosures: {
                principal: { salt: salts.principal, value: r.principal },
                meta: { salt: salts.meta, value: r.meta ?? {} },
              },
            }
          : {}),
      };
    };
    const manifest: BundleManifest = {
      tenant,
      exportedBy,
      exportedAt: stored.ts.toISOString(),
      source,
      eventCount: rows.length,
      leavesDigest,
      exportEventId: stored.id,
    };
    const bundle: EvidenceBundle = {
      format,
      manifest,
      vkeys: await opts.proofs.logVerifierKeys(tenant),
      checkpoint: checkpoint.note,
      exportEvent: entry(stored),
      events: rows.map(entry),
    };
    const stamp = stored.ts.toISOString().slice(0, 16).replace(/[-:T]/g, "");
    return { ok: true, bundle, json: JSON.stringify(bundle), filename: `evidence-${tenant}-${stamp}.json` };
  } catch (err) {
    if (err instanceof QueryTooExpensiveError)
      return {
        ok: false,
        status: 422,
        error: `${err.message} ${err.toQueryError(query.q).hint}`,
        field: "q",
      };
    throw err;
  } finally {
    release();
  }
}

/** GET /evidence/export, framework-free: the caller has passed the route's guard. */
export async function evidenceExportResponse(
  db: Db,
  authority: Authority,
  params: URLSearchParams,
  opts: BundleOptions,
): Promise<Response> {
  const kind = params.get("kind") ?? "query";
  const tenant = params.get("tenant");
  let req: ExportRequest;
  if (kind === "query") req = { kind, q: params.get("q") ?? "", tenant };
  else if (kind === "request" || kind === "capability") {
    const id = params.get("id");
    if (!id) return Response.json({ error: "id is required", field: "id" }, { status: 400 });
    req = { kind, id, tenant };
  } else
    return Response.json(
      { error: "kind must be query, request or capability", field: "kind" },
      { status: 400 },
    );
  const res = await buildEvidenceBundle(db, authority, req, opts);
  if (!res.ok)
    return Response.json(
      { error: res.error, ...(res.field ? { field: res.field } : {}) },
      {
        status: res.status,
        headers: { "cache-control": "no-store", ...(res.status === 429 ? { "retry-after": "5" } : {}) },
      },
    );
  return new Response(res.json, {
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="${res.filename}"`,
      "cache-control": "no-store",
    },
  });
}
