import "server-only";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { events } from "@/db/schema";
import type { Authority } from "@/lib/auth/authority";
import { can } from "@/lib/auth/permissions";
import { authenticateApiKey } from "@/lib/data/api-key-auth";
import { listLogVerifierKeys } from "@/lib/merkle/keys";
import { formatTlogProof } from "@/lib/merkle/note";
import {
  getConsistencyProof,
  getInclusionProofs,
  getLatestTreeCheckpoint,
  getTreeCheckpoint,
  type StoredTreeCheckpoint,
} from "@/lib/merkle/store";

// The Merkle log's read endpoints (issue 15), for agent platforms and auditors' tools by API key
// (GET /api/v1/log/*: the key fixes the tenant) and for investigators in the console (GET
// /api/log/*?tenant=: a session with "log.read" and the tenant in scope). Both only read what
// the checkpointer stored; they never sign, so a caller cannot make the console write.

const json = (body: unknown, status: number) =>
  Response.json(body, { status, headers: { "cache-control": "no-store" } });
const text = (body: string) =>
  new Response(body, {
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });

export type LogRequest = "checkpoint" | "keys" | "inclusion" | "consistency";

/** A whole number 1..2^53-1 from a query parameter, or the 400 naming it. */
function size(params: URLSearchParams, name: string): number | Response | null {
  const raw = params.get(name);
  if (raw === null || raw === "") return null;
  if (!/^[1-9][0-9]{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw)))
    return json({ error: `${name} must be a tree size: a whole number of 1 or more` }, 400);
  return Number(raw);
}

async function checkpointOf(
  db: Db,
  tenant: string,
  name: string,
  n: number,
): Promise<StoredTreeCheckpoint | Response> {
  const cp = await getTreeCheckpoint(db, tenant, n);
  return cp ?? json({ error: `${name}: no checkpoint of tree size ${n}` }, 404);
}

const NO_CHECKPOINT = () =>
  json({ error: "no checkpoint yet: the console signs one within 5 seconds of the first event" }, 404);

async function inclusion(db: Db, tenant: string, params: URLSearchParams): Promise<Response> {
  const event = params.get("event")?.trim() ?? "";
  if (!event || event.length > 200)
    return json({ error: "event must be an event id (1 to 200 characters)" }, 400);
  const n = size(params, "size");
  if (n instanceof Response) return n;
  const [row] = await db
    .select({ seq: events.seq })
    .from(events)
    .where(and(eq(events.tenant, tenant), eq(events.id, event)));
  if (!row) return json({ error: `event ${event} not found` }, 404);
  const cp =
    n === null ? await getLatestTreeCheckpoint(db, tenant) : await checkpointOf(db, tenant, "size", n);
  if (cp instanceof Response) return cp;
  if (!cp) return NO_CHECKPOINT();
  const index = row.seq - 1;
  if (index >= cp.size)
    return json(
      {
        error: `event ${event} (seq ${row.seq}) is not in the tree of size ${cp.size}${n === null ? "; it is covered within 5 seconds, retry then" : ""}`,
      },
      409,
    );
  const proofs = await getInclusionProofs(db, { tenant, indices: [index], size: cp.size });
  return text(formatTlogProof({ index, proof: proofs.get(index) ?? [], signedCheckpoint: cp.note }));
}

async function consistency(db: Db, tenant: string, params: URLSearchParams): Promise<Response> {
  const from = size(params, "from");
  if (from instanceof Response) return from;
  const to = size(params, "to");
  if (to instanceof Response) return to;
  if (from === null) return json({ error: "from must be a tree size: a whole number of 1 or more" }, 400);
  if (to === null) return json({ error: "to must be a tree size: a whole number of 1 or more" }, 400);
  if (from > to) return json({ error: "from must not be larger than to" }, 400);
  for (const [name, n] of [
    ["from", from],
    ["to", to],
  ] as const) {
    const cp = await checkpointOf(db, tenant, name, n);
    if (cp instanceof Response) return cp;
  }
  const proof = await getConsistencyProof(db, { tenant, from, to });
  return text(proof.map((h) => `${Buffer.from(h).toString("base64")}\n`).join(""));
}

/** One log request for one tenant, already authorised. */
export async function logResponse(db: Db, tenant: string, what: LogRequest, url: URL): Promise<Response> {
  const params = url.searchParams;
  if (what === "checkpoint") {
    const cp = await getLatestTreeCheckpoint(db, tenant);
    return cp ? text(cp.note) : NO_CHECKPOINT();
  }
  if (what === "keys") {
    let keys: string[];
    try {
      keys = await listLogVerifierKeys(db, tenant);
    } catch (err) {
      console.error("[log] verifier keys unavailable:", err instanceof Error ? err.message : err);
      return json({ error: "the console is not ready; retry later" }, 503);
    }
    return text(keys.map((k) => `${k}\n`).join(""));
  }
  if (what === "inclusion") return inclusion(db, tenant, params);
  return consistency(db, tenant, params);
}

/** GET /api/v1/log/*: the API key's tenant. */
export async function handleLogByKey(db: Db, request: Request, what: LogRequest): Promise<Response> {
  const who = await authenticateApiKey(db, request.headers.get("authorization"));
  if (!who)
    return Response.json(
      { error: "Send a valid API key as Authorization: Bearer <key>." },
      { status: 401, headers: { "www-authenticate": "Bearer" } },
    );
  return logResponse(db, who.tenant, what, new URL(request.url));
}

/** GET /api/log/*?tenant=T in the console: a tenant in the signed-in user's scope. */
export async function handleLogInConsole(
  db: Db,
  authority: Authority,
  request: Request,
  what: LogRequest,
): Promise<Response> {
  if (!can(authority, "log.read")) return json({ error: "Your role does not allow this." }, 403);
  const url = new URL(request.url);
  const tenant = url.searchParams.get("tenant")?.trim() || authority.activeTenant || "";
  if (!tenant) return json({ error: "tenant is required: one of your tenants" }, 400);
  // The same answer for a tenant that does not exist and one out of scope: no probing.
  if (!authority.tenants.includes(tenant)) return json({ error: `tenant ${tenant} not found` }, 404);
  return logResponse(db, tenant, what, url);
}
