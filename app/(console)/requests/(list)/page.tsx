import type { Metadata } from "next";
import Link from "next/link";
import type { SearchParams } from "nuqs/server";
import { Suspense } from "react";
import { ReadSourceNote } from "@/components/read-source-note";
import type { Authority } from "@/lib/auth/authority";
import { requirePermission } from "@/lib/auth/guard";
import { listRequests, listRequestsSchema } from "@/lib/data/requests";
import { formatTime, plural } from "@/lib/format/time";
import { getReadDb } from "@/lib/server/db";
import { KeysetPager } from "../_components/keyset-pager";
import { ListSearch } from "../_components/list-search";
import "../requests.css";
import { loadRequestsParams, requestHref, requestsHref } from "../search-params";

export const metadata: Metadata = { title: "Requests" };

type Params = Awaited<ReturnType<typeof loadRequestsParams>>;

async function RequestsTable({ authority, params }: { authority: Authority; params: Params }) {
  const parsed = listRequestsSchema.safeParse({
    q: params.q || undefined,
    session: params.session ?? undefined,
    tenant: params.tenant ?? undefined,
    cursor: params.cursor ?? undefined,
    dir: params.dir ?? undefined,
  });
  if (!parsed.success)
    return (
      <p className="notice error" role="alert">
        {parsed.error.issues[0]?.message ?? "That search is not valid."}
      </p>
    );
  const read = await getReadDb("requests.list");
  const page = await listRequests(read, authority, parsed.data);
  const note = <ReadSourceNote source={read.source} />;
  const manyTenants = authority.tenants.length > 1;
  const base = { q: params.q || null, session: params.session, tenant: params.tenant };
  const pager = (
    <KeysetPager
      label="Requests pages"
      prevHref={page.prev ? `/requests${requestsHref({ ...base, cursor: page.prev, dir: "prev" })}` : null}
      nextHref={page.next ? `/requests${requestsHref({ ...base, cursor: page.next, dir: "next" })}` : null}
    />
  );
  if (page.rows.length === 0)
    return (
      <>
        {note}
        {params.q || params.session ? (
          <p className="notice">No request matches: try a shorter part of the id, principal or agent.</p>
        ) : params.cursor ? (
          <p className="notice">
            No more requests. <Link href="/requests">Back to the newest</Link>.
          </p>
        ) : (
          <p className="notice">No requests yet: agent platforms report them through POST /api/v1/events.</p>
        )}
      </>
    );
  return (
    <>
      {note}
      <div className="table-wrap">
        <table className="data fixed" data-testid="requests-table">
          <caption className="sr-only">Requests, newest first</caption>
          <colgroup>
            <col className="c-time" />
            <col />
            <col />
            <col />
            {manyTenants ? <col className="c-tenant" /> : null}
            <col className="c-num" />
            <col className="c-num" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Request</th>
              <th scope="col">Principal</th>
              <th scope="col">Agent</th>
              {manyTenants ? <th scope="col">Tenant</th> : null}
              <th scope="col" className="num">
                Calls
              </th>
              <th scope="col" className="num">
                Denied
              </th>
            </tr>
          </thead>
          <tbody>
            {page.rows.map((r) => (
              <tr key={`${r.tenant}/${r.request}`} data-testid="request-row">
                <td className="mono nowrap">{formatTime(r.startedAt)}</td>
                <td>
                  <Link className="mono" href={requestHref(r.request, r.tenant)}>
                    {r.request}
                  </Link>
                  <div className="muted">{plural(r.capabilities, "capability", "capabilities")}</div>
                </td>
                <td>{r.principal ?? "—"}</td>
                <td>{r.agent ?? "—"}</td>
                {manyTenants ? <td>{r.tenant}</td> : null}
                <td className="num">{r.calls.toLocaleString("en")}</td>
                <td className={`num${r.denied ? " error" : ""}`}>{r.denied.toLocaleString("en")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pager}
    </>
  );
}

export default async function RequestsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const authority = await requirePermission("console.read");
  const params = await loadRequestsParams(searchParams);
  return (
    <>
      <h1>Requests</h1>
      <p className="muted">
        Every request agents worked on, newest first by its first activity (minting or first call). Open one
        for its timeline and derivation graph.
      </p>
      {params.session ? (
        <p>
          Requests of session <span className="mono">{params.session}</span>
          {params.tenant ? ` in ${params.tenant}` : ""} · <Link href="/requests">all requests</Link>
        </p>
      ) : null}
      <ListSearch
        label="Search requests by id, principal or agent"
        placeholder="request id, principal or agent"
      />
      <Suspense
        key={JSON.stringify(params)}
        fallback={
          <p className="muted" role="status">
            Loading requests…
          </p>
        }
      >
        <RequestsTable authority={authority} params={params} />
      </Suspense>
    </>
  );
}
