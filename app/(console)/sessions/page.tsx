import type { Metadata } from "next";
import Link from "next/link";
import type { SearchParams } from "nuqs/server";
import { Suspense } from "react";
import { explorerHref } from "@/app/(console)/events/url-state";
import { KeysetPager } from "@/app/(console)/requests/_components/keyset-pager";
import { ListSearch } from "@/app/(console)/requests/_components/list-search";
import { loadSessionsParams, requestsHref, sessionsHref } from "@/app/(console)/requests/search-params";
import "@/app/(console)/requests/requests.css";
import type { Authority } from "@/lib/auth/authority";
import { requirePermission } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import {
  listAgentSessionsPage,
  listSessionPrincipals,
  listSessionsSchema,
  sessionState,
} from "@/lib/data/agent-sessions";
import { formatTime, plural } from "@/lib/format/time";
import { getDb } from "@/lib/server/db";
import { RevokeForm } from "./_components/revoke-form";

export const metadata: Metadata = { title: "Sessions" };

type Params = Awaited<ReturnType<typeof loadSessionsParams>>;

/** The explorer filtered to one session (and its tenant when several are in view). */
function sessionEventsHref(session: string, tenant: string, manyTenants: boolean): string {
  const q = `session:${JSON.stringify(session)}${manyTenants ? ` tenant:${JSON.stringify(tenant)}` : ""}`;
  return explorerHref({ q, range: "all", sort: "ts_desc", cols: "" });
}

async function PeopleTable({ authority, isAdmin }: { authority: Authority; isAdmin: boolean }) {
  const principals = await listSessionPrincipals(await getDb(), authority);
  if (principals.length === 0) return null;
  return (
    <details className="card" open>
      <summary>
        <strong>People</strong> ({plural(principals.length, "person", "people")})
      </summary>
      <p className="muted">
        Revoking a person cuts every session of theirs in that tenant and refuses their agents from then on:
        for people who left the company.
      </p>
      <div className="table-wrap">
        <table className="data" aria-label="People">
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Principal</th>
              <th scope="col" className="num">
                Open sessions
              </th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {principals.map((p) => (
              <tr key={`${p.tenant}/${p.principal}`} data-testid={`principal-row-${p.tenant}-${p.principal}`}>
                <td>{p.tenant}</td>
                <td>{p.principal}</td>
                <td className="num">{p.openSessions}</td>
                <td>
                  {p.revoked ? (
                    <span className="badge disabled" title={p.revoked.reason}>
                      revoked by {p.revoked.by} at {formatTime(p.revoked.at)}: {p.revoked.reason}
                    </span>
                  ) : isAdmin ? (
                    <RevokeForm
                      target={{ kind: "principal", tenant: p.tenant, principal: p.principal }}
                      label="Revoke principal"
                      collapsed
                    />
                  ) : (
                    <span className="badge">active</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

async function SessionsTable({
  authority,
  params,
  isAdmin,
}: {
  authority: Authority;
  params: Params;
  isAdmin: boolean;
}) {
  const input = {
    q: params.q || undefined,
    status: params.status ?? undefined,
    cursor: params.cursor ?? undefined,
    dir: params.dir ?? undefined,
  };
  const parsed = listSessionsSchema.safeParse(input);
  if (!parsed.success)
    return (
      <p className="notice error" role="alert">
        {parsed.error.issues[0]?.message ?? "That search is not valid."}
      </p>
    );
  const page = await listAgentSessionsPage(await getDb(), authority, parsed.data);
  const manyTenants = authority.tenants.length > 1;
  const base = { q: params.q || null, status: params.status };
  if (page.rows.length === 0)
    return params.q || params.status ? (
      <p className="notice">
        No session matches: try part of a session id, principal or agent, or any status.
      </p>
    ) : params.cursor ? (
      <p className="notice">
        No more sessions. <Link href="/sessions">Back to the newest</Link>.
      </p>
    ) : (
      <p className="notice">No agent sessions yet: they appear as platforms send events.</p>
    );
  return (
    <>
      <div className="table-wrap">
        <table className="data fixed sessions-list" data-testid="sessions-table">
          <caption className="sr-only">Agent sessions, latest activity first</caption>
          <colgroup>
            <col className="c-time" />
            <col />
            <col />
            <col />
            {manyTenants ? <col className="c-tenant" /> : null}
            <col className="c-num" />
            <col className="c-num" />
            <col className="c-open" />
            <col className="c-state" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Last activity</th>
              <th scope="col">Session</th>
              <th scope="col">Principal</th>
              <th scope="col">Agent</th>
              {manyTenants ? <th scope="col">Tenant</th> : null}
              <th scope="col" className="num">
                Calls
              </th>
              <th scope="col" className="num">
                Denied
              </th>
              <th scope="col">Open</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {page.rows.map((s) => {
              const st = sessionState(s);
              return (
                // Session ids are unique per tenant only.
                <tr key={`${s.tenant}/${s.id}`} data-testid="session-row">
                  <td className="mono">{formatTime(s.activeAt)}</td>
                  <td className="mono">{s.id}</td>
                  <td>{s.principal}</td>
                  <td>{s.agent ?? "—"}</td>
                  {manyTenants ? <td>{s.tenant}</td> : null}
                  <td className="num">{s.calls.toLocaleString("en")}</td>
                  <td className={`num${s.denied ? " error" : ""}`}>{s.denied.toLocaleString("en")}</td>
                  <td>
                    <div className="row-actions">
                      <Link
                        href={sessionEventsHref(s.id, s.tenant, manyTenants)}
                        aria-label={`Events of session ${s.id}`}
                      >
                        Events
                      </Link>
                      <Link
                        href={`/requests${requestsHref({ session: s.id, tenant: s.tenant })}`}
                        aria-label={`${plural(s.requests, "request")} of session ${s.id}`}
                      >
                        {plural(s.requests, "request")}
                      </Link>
                    </div>
                  </td>
                  <td>
                    {st.state === "revoked" ? (
                      <span className="badge disabled" title={st.reason ?? ""}>
                        {st.label}
                      </span>
                    ) : (
                      <>
                        {st.state === "reported" ? (
                          // Not in the verifier feed: only the console's revocation reaches verifiers.
                          <span className="badge" title={st.reason ?? ""}>
                            {st.label}
                          </span>
                        ) : null}{" "}
                        {isAdmin ? (
                          <RevokeForm
                            target={{ kind: "session", tenant: s.tenant, session: s.id }}
                            label="Revoke session"
                            collapsed
                          />
                        ) : st.state === "open" ? (
                          <span className="badge">open</span>
                        ) : null}
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <KeysetPager
        label="Sessions pages"
        prevHref={page.prev ? `/sessions${sessionsHref({ ...base, cursor: page.prev, dir: "prev" })}` : null}
        nextHref={page.next ? `/sessions${sessionsHref({ ...base, cursor: page.next, dir: "next" })}` : null}
      />
    </>
  );
}

export default async function Page({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const authority = await requirePermission("sessions.read");
  const params = await loadSessionsParams(searchParams);
  const isAdmin = can(authority, "sessions.revoke");
  return (
    <>
      <h1>Sessions</h1>
      <p className="muted">
        Agent sessions in your tenants, latest activity first. Revoking a session or a person reaches
        verifiers through the revocation feed.
      </p>
      <Suspense
        fallback={
          <p className="muted" role="status">
            Loading people…
          </p>
        }
      >
        <PeopleTable authority={authority} isAdmin={isAdmin} />
      </Suspense>
      <h2>Sessions</h2>
      <ListSearch
        label="Search sessions by id, principal or agent"
        placeholder="session id, principal or agent"
        withStatus
      />
      <Suspense
        key={JSON.stringify(params)}
        fallback={
          <p className="muted" role="status">
            Loading sessions…
          </p>
        }
      >
        <SessionsTable authority={authority} params={params} isAdmin={isAdmin} />
      </Suspense>
    </>
  );
}
