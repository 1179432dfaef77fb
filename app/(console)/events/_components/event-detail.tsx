import Link from "next/link";
import { PinToCase } from "@/app/(console)/cases/_components/pin-to-case";
import { TierMark } from "@/components/tier-mark";
import { formatTime } from "@/lib/format/time";
import { escalateHref, revokeHref } from "@/lib/links";
import { type ExplorerState, explorerHref, firstPage, withTerm } from "../url-state";
import { CopyLink } from "./copy-link";

// One event's detail, the same in the explorer's side sheet and on its permalink page
// (/events/[id]): no hooks, so it renders on the server there and on the client here.

export type EventRowView = Record<string, unknown> & { id: string; ts: string; tenant: string };

/** Fields a chip can add to the query, and the query key each one is searched by. */
const CHIP_KEYS: Record<string, string> = {
  principal: "principal",
  agent: "agent",
  tool: "tool",
  outcome: "outcome",
  reason: "reason",
  session: "session",
  request: "request",
  capabilityId: "cap",
};

const LABELS: Record<string, string> = {
  ts: "Time",
  tenant: "Tenant",
  principal: "Principal",
  agent: "Agent",
  session: "Session",
  request: "Request",
  tool: "Tool",
  action: "Action",
  outcome: "Outcome",
  reason: "Reason",
  fields: "Fields",
  cost: "Cost",
  meta: "Meta",
  late: "Late",
  receivedAt: "Received",
  latencyMs: "Latency (ms)",
  capabilityId: "Capability",
  capabilityHash: "Capability hash",
  inputDigest: "Argument digest",
  resourceType: "Resource type",
  resourceId: "Resource id",
  traceId: "Trace id",
  spanId: "Span id",
};
const TIMES = new Set(["ts", "receivedAt"]);
const HIDDEN = new Set(["id", "type", "tier", "uncovered"]);

export function eventPermalink(row: Pick<EventRowView, "id" | "tenant">): string {
  return `/events/${encodeURIComponent(row.id)}?tenant=${encodeURIComponent(row.tenant)}`;
}

function show(key: string, v: unknown): string {
  if (TIMES.has(key)) return formatTime(v as string, "ms");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export function EventDetail(props: {
  row: EventRowView;
  /** The explorer's state the chips edit (the permalink page passes an all-time view). */
  state: ExplorerState;
  canEscalate: boolean;
  canRevoke: boolean;
  gatewayRequest?: { id: string; status: string };
  /** In the sheet: an "Open" link to the permalink page. */
  showOpen?: boolean;
  headingId?: string;
  Heading?: "h1" | "h2";
}) {
  const { row, state } = props;
  const Heading = props.Heading ?? "h2";
  const day = formatTime(row.ts).slice(0, 10);
  const s = (k: string) => (typeof row[k] === "string" && row[k] ? (row[k] as string) : null);
  const fields = Object.entries(row).filter(
    ([k, v]) => !HIDDEN.has(k) && v !== null && v !== undefined && v !== "",
  );
  const permalink = eventPermalink(row);
  const denied = row.outcome === "denied";
  // reason: matches a substring, so a long one is searched by its first 200 characters (values
  // stop at 256 in the query language).
  const chip = (key: string, value: string, exclude: boolean) =>
    explorerHref(
      firstPage(state, {
        q: withTerm(state.q, key, key === "reason" ? value.slice(0, 200) : value, exclude),
      }),
    );
  return (
    <>
      <Heading id={props.headingId} className="event-title">
        <span className="mono">{String(row.type)}</span>
        <TierMark tier={row.tier} uncovered={row.uncovered} />{" "}
        <span className={denied ? "error" : row.outcome === "error" ? "warn" : "ok"}>
          {String(row.outcome)}
        </span>
      </Heading>
      <p className="muted" style={{ marginTop: 0 }}>
        {formatTime(row.ts)} · tenant {row.tenant} · event <span className="mono">{row.id}</span>
      </p>
      <p className="row-actions">
        <PinToCase tenant={String(row.tenant)} kind="event" refId={row.id} />
        <CopyLink href={permalink} />
        {props.showOpen ? (
          <Link className="button" href={permalink} data-testid="event-open">
            Open
          </Link>
        ) : null}
      </p>
      <p className="row-actions">
        {row.capabilityId ? (
          <Link href={`/capabilities/${row.capabilityId}?tenant=${encodeURIComponent(row.tenant)}`}>
            Capability
          </Link>
        ) : null}
        {row.request ? (
          <Link
            href={`/requests/${encodeURIComponent(String(row.request))}?tenant=${encodeURIComponent(row.tenant)}`}
          >
            Request
          </Link>
        ) : null}
        {row.principal ? (
          <Link href={`/principals/${encodeURIComponent(String(row.principal))}?day=${day}`}>
            Principal's day
          </Link>
        ) : null}
        {row.session ? (
          <Link href={explorerHref({ q: `session:${row.session}`, range: "all" })}>Session's events</Link>
        ) : null}
      </p>
      {props.gatewayRequest ? (
        <p className="notice" data-testid="event-gateway-request">
          Escalation request from the gateway:{" "}
          <span
            className={`badge ${props.gatewayRequest.status === "granted" ? "ok" : props.gatewayRequest.status === "dismissed" ? "bad" : ""}`}
          >
            {props.gatewayRequest.status}
          </span>{" "}
          <Link href={`/escalations#request-${props.gatewayRequest.id}`}>Open in Escalations</Link>
        </p>
      ) : null}
      {(props.canEscalate && denied && s("principal") && s("tool")) ||
      (props.canRevoke && (s("session") || s("capabilityId") || s("principal"))) ? (
        <section aria-label="Act on this event" className="event-acts" data-testid="event-acts">
          {props.canEscalate && denied && s("principal") && s("tool") && !s("resourceId") ? (
            <p className="muted event-acts-note" data-testid="escalate-none">
              No exact escalation from here: this call names no single {s("resourceType") ?? "resource"} (a
              type-wide {s("action") ?? "call"}), and an escalation grants one operation on one resource. If
              the agent needs it, widen what its capability grants on {s("resourceType") ?? "it"}.
            </p>
          ) : null}
          {props.canEscalate && denied && s("principal") && s("tool") && s("resourceId") ? (
            <Link
              className="button primary"
              data-testid="escalate-exact"
              href={escalateHref({
                tenant: row.tenant,
                principal: s("principal") as string,
                session: s("session"),
                agent: s("agent"),
                tool: s("tool") as string,
                resourceType: s("resourceType"),
                resourceId: s("resourceId"),
                action: s("action"),
                argDigest: s("inputDigest"),
                fromEvent: row.id,
              })}
            >
              Request escalation for exactly this
            </Link>
          ) : null}
          {props.canRevoke && s("session") ? (
            <Link
              className="button"
              href={revokeHref({ kind: "session", tenant: row.tenant, session: s("session") as string })}
            >
              Revoke session…
            </Link>
          ) : null}
          {props.canRevoke && s("capabilityId") ? (
            <Link
              className="button"
              href={revokeHref({
                kind: "capability",
                tenant: row.tenant,
                capabilityId: s("capabilityId") as string,
              })}
            >
              Revoke capability…
            </Link>
          ) : null}
          {props.canRevoke && s("principal") ? (
            <Link
              className="button"
              href={revokeHref({
                kind: "principal",
                tenant: row.tenant,
                principal: s("principal") as string,
              })}
            >
              Revoke principal…
            </Link>
          ) : null}
        </section>
      ) : null}
      <dl className="facts event-facts">
        {fields.map(([k, v]) => {
          const key = CHIP_KEYS[k];
          const label = LABELS[k] ?? k;
          const text = show(k, v);
          return (
            <div key={k} style={{ display: "contents" }}>
              <dt>{label}</dt>
              <dd>
                <span className={text.length > 40 || k.endsWith("Id") ? "mono" : undefined}>{text}</span>
                {key && typeof v === "string" && v.trim() && (v.length <= 256 || k === "reason") ? (
                  <span className="fact-chips">
                    <Link
                      className="chip"
                      href={chip(key, v, false)}
                      aria-label={`Only this ${label.toLowerCase()}`}
                      data-testid={`only-${k}`}
                    >
                      Only this
                    </Link>
                    <Link
                      className="chip"
                      href={chip(key, v, true)}
                      aria-label={`Exclude this ${label.toLowerCase()}`}
                      data-testid={`exclude-${k}`}
                    >
                      Exclude
                    </Link>
                  </span>
                ) : null}
              </dd>
            </div>
          );
        })}
      </dl>
    </>
  );
}
