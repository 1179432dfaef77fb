import "@/components/cases/cases.css";
import type { Metadata } from "next";
import Link from "next/link";
import { CASE_STATUSES } from "@/db/schema";
import { tenantsInView } from "@/lib/auth/authority";
import { requirePermission } from "@/lib/auth/guard";
import { listCases } from "@/lib/data/cases";
import { formatTime, plural } from "@/lib/format/time";
import { getDb } from "@/lib/server/db";
import { VERDICT_LABELS } from "../_components/labels";
import { NewCaseForm } from "../_components/new-case-form";

export const metadata: Metadata = { title: "Cases" };

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : "");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function CasesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const authority = await requirePermission("cases.manage");
  const params = await searchParams;
  const q = one(params.q).trim().slice(0, 200);
  const asked = one(params.status);
  const status = (CASE_STATUSES as readonly string[]).includes(asked) ? (asked as "open" | "closed") : "all";
  const after = UUID.test(one(params.after)) ? one(params.after) : undefined;
  const { rows, next } = await listCases(await getDb(), authority, { q, status, after, limit: 25 });
  const hrefWith = (over: Record<string, string | undefined>) => {
    const sp = new URLSearchParams();
    const merged = { q, status: status === "all" ? undefined : status, ...over };
    for (const [k, v] of Object.entries(merged)) if (v) sp.set(k, v);
    const s = sp.toString();
    return s ? `/cases?${s}` : "/cases";
  };
  return (
    <>
      <h1>Cases</h1>
      <p className="muted">
        Pin events, capabilities and requests to a named case, add notes and a verdict. Every change is in the
        case's history and in the tenant's audit log.
      </p>
      <NewCaseForm tenants={tenantsInView(authority)} />
      <h2>Your tenants' cases</h2>
      <form className="case-search" action="/cases" aria-label="Search cases">
        <label>
          Search titles
          <input name="q" type="search" defaultValue={q} maxLength={200} />
        </label>
        <label>
          Status
          <select name="status" defaultValue={status}>
            <option value="all">all</option>
            <option value="open">open</option>
            <option value="closed">closed</option>
          </select>
        </label>
        <button type="submit">Search</button>
      </form>
      {rows.length === 0 ? (
        <p className="notice">
          {q || status !== "all" || after
            ? "No case matches. Clear the search to see all cases."
            : "No cases yet. Open one above, or use “Pin to case” on an event, capability or request."}
        </p>
      ) : (
        <table className="data cases" data-testid="cases-table">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Status</th>
              <th scope="col">Verdict</th>
              <th scope="col">Items</th>
              <th scope="col">Opened</th>
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={`${c.tenant}/${c.id}`}>
                <td>
                  <Link href={`/cases/${c.id}`}>{c.title}</Link>
                  {authority.tenants.length > 1 ? <span className="muted"> · {c.tenant}</span> : null}
                </td>
                <td>
                  <span className={`badge status-${c.status}`}>{c.status}</span>
                </td>
                <td>
                  {c.verdict ? (
                    <span className={`badge verdict-${c.verdict}`}>{VERDICT_LABELS[c.verdict]}</span>
                  ) : (
                    <span className="muted">none</span>
                  )}
                </td>
                <td>{plural(c.items, "item")}</td>
                <td>
                  <span className="mono">{formatTime(c.createdAt)}</span>
                  <br />
                  <span className="muted">{c.createdBy}</span>
                </td>
                <td className="mono">{formatTime(c.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="row-actions">
        {after ? <Link href={hrefWith({ after: undefined })}>Newest cases</Link> : null}
        {next ? <Link href={hrefWith({ after: next })}>Older cases</Link> : null}
      </p>
    </>
  );
}
