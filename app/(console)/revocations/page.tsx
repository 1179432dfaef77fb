import type { Metadata } from "next";
import Link from "next/link";
import type { Authority } from "@/lib/auth/authority";
import { requirePermission } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import { previewRevokeLink, type RevokePreview, revokeLinkSchema } from "@/lib/data/blast-radius";
import { listRevocations } from "@/lib/data/revocations";
import { UserError } from "@/lib/errors";
import { formatTime, plural } from "@/lib/format/time";
import { getDb } from "@/lib/server/db";
// The revoke form lives with the Sessions route, whose actions it calls.
import { RevokeForm, type RevokeFormTarget } from "../sessions/_components/revoke-form";
import "../escalations/escalations.css";

export const metadata: Metadata = { title: "Revocations" };

type Search = Record<string, string | string[] | undefined>;
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

type Arrival = { preview: RevokePreview } | { problem: string } | null;

/** A "Revoke…" link from another page (lib/links.ts revokeHref): its target and radius, or why not. */
async function readArrival(authority: Authority, sp: Search): Promise<Arrival> {
  const kind = first(sp.kind);
  if (!kind) return null;
  const parsed = revokeLinkSchema.safeParse({
    kind,
    tenant: first(sp.tenant),
    session: first(sp.session),
    principal: first(sp.principal),
    capability: first(sp.capability),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const message =
      issue?.code === "invalid_union" || issue?.path[0] === "kind"
        ? "The link's kind must be session, principal or capability."
        : (issue?.message ?? "The link is malformed.");
    return { problem: `This revoke link cannot be used: ${message}` };
  }
  try {
    return { preview: await previewRevokeLink(await getDb(), authority, parsed.data) };
  } catch (err) {
    if (err instanceof UserError) return { problem: `Nothing to revoke: ${err.message}` };
    throw err;
  }
}

function formTarget(p: RevokePreview): { target: RevokeFormTarget; label: string } {
  const t = p.target;
  if (t.kind === "session")
    return { target: { kind: "session", tenant: t.tenant, session: t.session }, label: "Revoke session" };
  if (t.kind === "principal")
    return {
      target: { kind: "principal", tenant: t.tenant, principal: t.principal },
      label: "Revoke principal",
    };
  return {
    target: { kind: "capability", capabilityId: t.capabilityId, tenants: [t.tenant] },
    label: "Revoke capability",
  };
}

function TargetLine({ p }: { p: RevokePreview }) {
  const t = p.target;
  if (t.kind === "session")
    return (
      <p className="revoke-target">
        Session <span className="mono">{t.session}</span> of {t.principal}
        {t.agent ? ` (agent ${t.agent})` : ""} in {t.tenant}.
        {t.revoked && <strong> It is already revoked; revoking again is refused.</strong>}
      </p>
    );
  if (t.kind === "principal")
    return (
      <p className="revoke-target">
        Principal {t.principal} in {t.tenant}: every session and capability of theirs, now and later.
      </p>
    );
  return (
    <p className="revoke-target">
      Capability <span className="mono">{t.capabilityId}</span>
      {t.principal ? ` of ${t.principal}` : ""} in {t.tenant}, with everything derived from it.{" "}
      <Link href={`/capabilities/${t.capabilityId}?tenant=${encodeURIComponent(t.tenant)}`}>Open it</Link>
    </p>
  );
}

export default async function Page({ searchParams }: { searchParams: Promise<Search> }) {
  const authority = await requirePermission("revocations.read");
  const sp = await searchParams;
  const isAdmin = can(authority, "sessions.revoke");
  const [rows, arrival] = await Promise.all([
    listRevocations(await getDb(), authority),
    isAdmin ? readArrival(authority, sp) : Promise.resolve(null),
  ]);
  const linked = arrival && "preview" in arrival ? formTarget(arrival.preview) : null;
  return (
    <>
      <h1>Revocations</h1>
      <p className="muted">
        The feed verifiers follow (GET /api/v1/revocations): who revoked what, why, and how many capability
        ids it cut.
      </p>
      {!isAdmin && first(sp.kind) && (
        <p className="notice" id="revoke">
          Only an admin can revoke. Send this page's link to one: it opens the preview for this target.
        </p>
      )}
      {arrival && "problem" in arrival && (
        <p className="notice error" role="alert" id="revoke" data-testid="revoke-link-problem">
          {arrival.problem}
        </p>
      )}
      {arrival && "preview" in arrival && linked && (
        <section className="card" id="revoke" aria-labelledby="revoke-title">
          <h2 id="revoke-title" style={{ marginTop: 0 }}>
            {linked.label}: read what it cuts, give a reason, confirm
          </h2>
          <TargetLine p={arrival.preview} />
          <RevokeForm
            target={linked.target}
            label={linked.label}
            initialRadius={arrival.preview.radius}
            autoFocusReason
          />
        </section>
      )}
      {isAdmin && !linked && (
        <div className="card" id={arrival ? undefined : "revoke"}>
          <h2 style={{ marginTop: 0 }}>Revoke a capability and everything derived from it</h2>
          <RevokeForm target={{ kind: "capability", tenants: authority.tenants }} label="Revoke capability" />
        </div>
      )}
      <h2>Feed</h2>
      {rows.length === 0 ? (
        <p className="notice">Nothing revoked yet.</p>
      ) : (
        <div className="esc-table-wrap">
          <table className="data" aria-label="Revocations">
            <thead>
              <tr>
                <th scope="col">Cursor</th>
                <th scope="col">When</th>
                <th scope="col">Tenant</th>
                <th scope="col">Kind</th>
                <th scope="col">Target</th>
                <th scope="col">Who</th>
                <th scope="col">Why</th>
                <th scope="col">Cut</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.cursor}>
                  <td className="mono">{r.cursor}</td>
                  <td className="mono">{formatTime(r.at)}</td>
                  <td>{r.tenant}</td>
                  <td>
                    <span className="badge">{r.kind}</span>
                  </td>
                  <td className="mono" title={r.target}>
                    {r.kind === "capability" ? `${r.target.slice(0, 16)}…` : r.target}
                  </td>
                  <td>{r.actor}</td>
                  <td>{r.reason}</td>
                  <td title={r.revokedIds.join("\n")}>
                    {r.cut > 0 ? plural(r.cut, "capability id") : "by session/principal fact"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
