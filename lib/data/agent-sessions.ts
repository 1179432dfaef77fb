import "server-only";
import { and, asc, desc, eq, inArray, isNotNull, isNull, or, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { events, revocations, type Session, sessions } from "@/db/schema";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { decodeCursor, encodeCursor, ilikePattern, type KeysetPage } from "./keyset";

export type SessionState =
  | { state: "open" }
  /** The console revoked it: in the verifier feed, under the console user who did it. */
  | { state: "revoked"; label: string; reason: string | null }
  /** Only a platform said so (ingest): shown as the platform's report, still revocable here. */
  | { state: "reported"; label: string; reason: string | null };

/**
 * How the Sessions page names a session's state. A platform's report never appears under a
 * console user's name, whatever its meta.actor said: it is labelled with the ingest key's source.
 */
export function sessionState(
  s: Pick<
    Session,
    "revokedAt" | "revokedBy" | "revokeReason" | "reportedRevokedAt" | "reportedBy" | "reportedReason"
  >,
): SessionState {
  if (s.revokedAt) return { state: "revoked", label: `revoked by ${s.revokedBy}`, reason: s.revokeReason };
  if (s.reportedRevokedAt)
    return {
      state: "reported",
      label: `reported by platform ${s.reportedBy ?? "unknown"}`,
      reason: s.reportedReason,
    };
  return { state: "open" };
}

/** Agent sessions in view for the Sessions page: open ones first, by principal, latest activity first. */
export async function listAgentSessions(
  db: Db,
  authority: Authority,
  opts: { limit?: number } = {},
): Promise<Session[]> {
  assertCan(authority, "sessions.read");
  return db
    .select()
    .from(sessions)
    .where(inArray(sessions.tenant, tenantsInView(authority)))
    .orderBy(
      sql`${sessions.revokedAt} is not null`,
      asc(sessions.tenant),
      asc(sessions.principal),
      desc(sessions.lastSeenAt),
    )
    .limit(Math.min(opts.limit ?? 300, 1000));
}

export interface PrincipalRow {
  tenant: string;
  principal: string;
  openSessions: number;
  /** The console's principal revocation, when there is one ("left the company"). */
  revoked: { at: Date; by: string; reason: string } | null;
}

/**
 * Every person with agent sessions in view, with their open sessions and whether the console
 * revoked them: the Sessions page's "Revoke a person" list. A revoked person stays listed (with
 * who revoked them and why), so the admin sees the result of what they did.
 */
export async function listSessionPrincipals(db: Db, authority: Authority): Promise<PrincipalRow[]> {
  assertCan(authority, "sessions.read");
  const scope = tenantsInView(authority);
  const [people, revoked] = await Promise.all([
    db
      .select({
        tenant: sessions.tenant,
        principal: sessions.principal,
        open: sql<number>`count(*) filter (where ${sessions.revokedAt} is null)::int`,
      })
      .from(sessions)
      .where(inArray(sessions.tenant, scope))
      .groupBy(sessions.tenant, sessions.principal)
      .orderBy(asc(sessions.tenant), asc(sessions.principal))
      .limit(1000),
    db
      .select({
        tenant: revocations.tenant,
        target: revocations.target,
        at: revocations.at,
        actor: revocations.actor,
        reason: revocations.reason,
      })
      .from(revocations)
      .where(and(inArray(revocations.tenant, scope), eq(revocations.kind, "principal")))
      .orderBy(asc(revocations.at)),
  ]);
  const byKey = new Map(revoked.map((r) => [`${r.tenant}/${r.target}`, r]));
  return people
    .filter((p): p is typeof p & { principal: string } => p.principal !== null)
    .map((p) => {
      const r = byKey.get(`${p.tenant}/${p.principal}`);
      return {
        tenant: p.tenant,
        principal: p.principal,
        openSessions: p.open,
        revoked: r ? { at: r.at, by: r.actor, reason: r.reason } : null,
      };
    });
}

export const SESSIONS_PAGE_SIZE = 25;
export const SESSION_STATUSES = ["open", "revoked", "reported"] as const;

export const listSessionsSchema = z.object({
  q: z.string().trim().max(200, "q: at most 200 characters").optional(),
  status: z.enum(SESSION_STATUSES).optional(),
  cursor: z.string().max(600).optional(),
  dir: z.enum(["next", "prev"]).optional(),
  limit: z.number().int().min(1).max(100).optional(),
});
export type ListSessionsInput = z.input<typeof listSessionsSchema>;

export type SessionRow = Session & {
  /** Last activity, or the start when none was seen: never empty, so newest-first is honest. */
  activeAt: Date;
  calls: number;
  denied: number;
  requests: number;
};

const ACTIVE_AT = sql`coalesce(${sessions.lastSeenAt}, ${sessions.startedAt})`;

const statusWhere: Record<(typeof SESSION_STATUSES)[number], SQL | undefined> = {
  open: and(isNull(sessions.revokedAt), isNull(sessions.reportedRevokedAt)),
  revoked: isNotNull(sessions.revokedAt),
  reported: and(isNull(sessions.revokedAt), isNotNull(sessions.reportedRevokedAt)),
};

/**
 * Agent sessions in view, newest activity first, keyset-paged on (activity, tenant, id); `q`
 * matches the session id, principal or agent, `status` keeps open, revoked or platform-reported
 * ones. Each row counts its tool calls, denials and requests (from the events naming it).
 */
export async function listAgentSessionsPage(
  db: Db,
  authority: Authority,
  input: ListSessionsInput = {},
): Promise<KeysetPage<SessionRow>> {
  assertCan(authority, "sessions.read");
  const opts = listSessionsSchema.parse(input);
  const scope = tenantsInView(authority);
  const limit = opts.limit ?? SESSIONS_PAGE_SIZE;
  const cursor = decodeCursor(opts.cursor);
  const back = opts.dir === "prev" && cursor !== null;
  const pattern = opts.q ? ilikePattern(opts.q) : null;
  const dirSql = back ? sql`asc` : sql`desc`;
  const raw = await db
    .select({
      session: sessions,
      key: sql<string>`to_char(${ACTIVE_AT} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(sessions)
    .where(
      and(
        inArray(sessions.tenant, scope),
        pattern
          ? or(
              sql`${sessions.id} ilike ${pattern}`,
              sql`${sessions.principal} ilike ${pattern}`,
              sql`${sessions.agent} ilike ${pattern}`,
            )
          : undefined,
        opts.status ? statusWhere[opts.status] : undefined,
        cursor
          ? back
            ? sql`(${ACTIVE_AT}, ${sessions.tenant}, ${sessions.id}) > (${cursor[0]}::timestamptz, ${cursor[1]}, ${cursor[2]})`
            : sql`(${ACTIVE_AT}, ${sessions.tenant}, ${sessions.id}) < (${cursor[0]}::timestamptz, ${cursor[1]}, ${cursor[2]})`
          : undefined,
      ),
    )
    .orderBy(sql`${ACTIVE_AT} ${dirSql}`, sql`${sessions.tenant} ${dirSql}`, sql`${sessions.id} ${dirSql}`)
    .limit(limit + 1);
  const more = raw.length > limit;
  const page = raw.slice(0, limit);
  if (back) page.reverse();
  const counts = page.length
    ? await db
        .select({
          tenant: events.tenant,
          session: events.session,
          calls: sql<number>`count(*) filter (where ${events.type} = 'tool.call')`.mapWith(Number),
          denied:
            sql<number>`count(*) filter (where ${events.type} = 'tool.call' and ${events.outcome} = 'denied')`.mapWith(
              Number,
            ),
          requests: sql<number>`count(distinct ${events.request})`.mapWith(Number),
        })
        .from(events)
        .where(
          and(
            inArray(events.tenant, [...new Set(page.map((r) => r.session.tenant))]),
            inArray(events.session, [...new Set(page.map((r) => r.session.id))]),
          ),
        )
        .groupBy(events.tenant, events.session)
    : [];
  const byKey = new Map(counts.map((c) => [`${c.tenant}/${c.session}`, c]));
  const rows = page.map(({ session: s, key }) => {
    const c = byKey.get(`${s.tenant}/${s.id}`);
    return {
      ...s,
      activeAt: new Date(key),
      calls: c?.calls ?? 0,
      denied: c?.denied ?? 0,
      requests: c?.requests ?? 0,
    };
  });
  const edge = (r: (typeof page)[number]) => encodeCursor([r.key, r.session.tenant, r.session.id]);
  const first = page[0];
  const last = page[page.length - 1];
  return {
    rows,
    next: last && (back || more) ? edge(last) : null,
    prev: first && (back ? more : cursor !== null) ? edge(first) : null,
  };
}
