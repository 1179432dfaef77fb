import "@/components/cases/cases.css";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { CASE_ITEM_KINDS, type CaseHistoryAction } from "@/db/schema";
import { requirePermission } from "@/lib/auth/guard";
import { type CaseItemView, getCase } from "@/lib/data/cases";
import { formatTime } from "@/lib/format/time";
import { getDb } from "@/lib/server/db";
import {
  CaseStatusButton,
  NoteForm,
  RenameCase,
  UnpinButton,
  VerdictPicker,
} from "../_components/case-controls";
import { KIND_LABELS, VERDICT_LABELS } from "../_components/labels";

export const metadata: Metadata = { title: "Case" };

type Detail = Record<string, unknown>;
const text = (v: unknown) => (v === null || v === undefined ? "none" : String(v));
const verdictText = (v: unknown) =>
  typeof v === "string" && v in VERDICT_LABELS ? VERDICT_LABELS[v as keyof typeof VERDICT_LABELS] : "none";

/** One history entry in words. Notes are shown in full in the notes list, and here too. */
function describeEntry(action: CaseHistoryAction, d: Detail) {
  switch (action) {
    case "created":
      return <>opened the case “{text(d.title)}”</>;
    case "renamed":
      return (
        <>
          renamed it from “{text(d.from)}” to “{text(d.to)}”
        </>
      );
    case "pinned":
      return (
        <>
          pinned {text(d.kind)} <span className="mono">{text(d.ref)}</span>
        </>
      );
    case "unpinned":
      return (
        <>
          unpinned {text(d.kind)} <span className="mono">{text(d.ref)}</span>
        </>
      );
    case "note":
      return (
        <>
          added a note<p className="note-text">{text(d.text)}</p>
        </>
      );
    case "verdict":
      return (
        <>
          set the verdict from <strong>{verdictText(d.from)}</strong> to <strong>{verdictText(d.to)}</strong>
        </>
      );
    case "closed":
      return <>closed the case</>;
    case "reopened":
      return <>reopened the case</>;
  }
}

function ItemLine({ caseId, item }: { caseId: string; item: CaseItemView }) {
  const l = item.label;
  const name = `${item.kind} ${item.ref}`;
  return (
    <li data-testid={`case-item-${item.kind}`}>
      <div className="item-main">
        <Link className="item-ref mono" href={item.href}>
          {item.ref}
        </Link>
        {l ? (
          <span>
            {l.at ? <span className="mono">{formatTime(l.at)} · </span> : null}
            <strong>{l.title}</strong>
            {l.detail ? <span className="muted"> · {l.detail}</span> : null}
            {l.outcome ? (
              <span className={l.outcome === "denied" ? "error" : l.outcome === "error" ? "warn" : "ok"}>
                {" "}
                · {l.outcome}
              </span>
            ) : null}
          </span>
        ) : (
          <span className="muted">no longer in the log</span>
        )}
        <span className="muted" style={{ display: "block", fontSize: 12.5 }}>
          pinned by {item.pinnedBy}, {formatTime(item.pinnedAt)}
        </span>
        {item.note ? <p className="note-text">{item.note}</p> : null}
      </div>
      <UnpinButton id={caseId} kind={item.kind} refId={item.ref} label={name} />
    </li>
  );
}

export default async function CasePage({ params }: { params: Promise<{ id: string }> }) {
  const authority = await requirePermission("cases.manage");
  const { id } = await params;
  const got = await getCase(await getDb(), authority, id);
  if (!got) notFound();
  const { case: c, items, history } = got;
  const notes = history.filter((h) => h.action === "note");
  return (
    <>
      <p className="muted">
        <Link href="/cases">Cases</Link> / {c.tenant}
      </p>
      <div className="case-head">
        <h1 data-testid="case-title">{c.title}</h1>
        <span className={`badge status-${c.status}`} data-testid="case-status">
          {c.status}
        </span>
        {c.verdict ? (
          <span className={`badge verdict-${c.verdict}`} data-testid="case-verdict">
            {VERDICT_LABELS[c.verdict]}
          </span>
        ) : null}
      </div>
      <p className="muted">
        Opened by {c.createdBy}, {formatTime(c.createdAt)} · last change {formatTime(c.updatedAt)}
      </p>
      <p className="row-actions">
        <RenameCase id={c.id} title={c.title} />
        <CaseStatusButton id={c.id} status={c.status} />
      </p>
      <div className="case-grid">
        <section aria-labelledby="pinned-heading">
          <h2 id="pinned-heading">Pinned ({items.length})</h2>
          {items.length === 0 ? (
            <p className="notice">
              Nothing pinned yet. Use “Pin to case” on an event in the <Link href="/events">explorer</Link>, a
              capability or a request page.
            </p>
          ) : (
            CASE_ITEM_KINDS.map((kind) => {
              const group = items.filter((i) => i.kind === kind);
              if (group.length === 0) return null;
              return (
                <div key={kind}>
                  <h3>
                    {KIND_LABELS[kind]} ({group.length})
                  </h3>
                  <ul className="case-items">
                    {group.map((i) => (
                      <ItemLine key={`${i.kind}:${i.ref}`} caseId={c.id} item={i} />
                    ))}
                  </ul>
                </div>
              );
            })
          )}
          <h2>Notes ({notes.length})</h2>
          {notes.length > 0 ? (
            <ul className="case-items" data-testid="case-notes">
              {notes.map((n) => (
                <li key={n.seq}>
                  <div className="item-main">
                    <span className="muted">
                      {n.actor}, {formatTime(n.at)}
                    </span>
                    <p className="note-text">{text((n.detail as Detail).text)}</p>
                  </div>
                </li>
              ))}
            </ul>
          ) : null}
          <NoteForm id={c.id} />
        </section>
        <section aria-labelledby="verdict-heading">
          <h2 id="verdict-heading">Verdict</h2>
          <div className="card">
            <VerdictPicker id={c.id} verdict={c.verdict} />
          </div>
          <h2>History</h2>
          <ol className="timeline" data-testid="case-history">
            {history.map((h) => (
              <li key={h.seq}>
                <time dateTime={h.at.toISOString()}>{formatTime(h.at)}</time>
                <strong>{h.actor}</strong> {describeEntry(h.action, h.detail as Detail)}
              </li>
            ))}
          </ol>
        </section>
      </div>
    </>
  );
}
