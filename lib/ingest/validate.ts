import type { ItemError as WireItemError } from "@capability-console/sdk/schema";
import type { z } from "zod";
import { eventSchema, type IngestEvent, LIMITS } from "./event-schema";

/** One invalid event: its index, the dotted path inside it (e.g. "resource.type"), and why. */
export type ItemError = WireItemError;

export type BatchCheck =
  | { ok: true; events: IngestEvent[] }
  | { ok: false; status: 400 | 413; error: string; field?: string; details?: ItemError[] };

const MAX_REPORTED = 100;

function fieldOf(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}

function itemErrors(index: number, error: z.ZodError): ItemError[] {
  const out: ItemError[] = [];
  const seen = new Set<string>();
  for (const issue of error.issues) {
    const base = fieldOf(issue.path);
    const fields =
      issue.code === "unrecognized_keys"
        ? issue.keys.map((k) => (base ? `${base}.${k}` : k))
        : [base || "(event)"];
    for (const field of fields) {
      if (seen.has(field)) continue;
      seen.add(field);
      const message = issue.code === "unrecognized_keys" ? "is not a field of the v1 event" : issue.message;
      out.push({ index, field, message });
    }
  }
  return out;
}

/**
 * The envelope {"events":[...]} and every event. All or nothing: one invalid event refuses the
 * batch, reporting every invalid item (up to MAX_REPORTED errors) so the client can fix them all.
 */
export interface ValidateOptions {
  /**
   * Allow escalation.* events. The console records escalations itself (issue, approval, pick-up,
   * each use attempt), and the Escalations page reads those records, so a platform must not be
   * able to post look-alikes. Only the demo loader, which stands in for the console's own
   * records of past days, sets this.
   */
  consoleRecords?: boolean;
  /** The server clock the ts bound is checked against; injected by tests. */
  now?: Date;
}

/** The clock-skew bound on ts (docs/ingest.md, "Event time"); null when the ts is acceptable. */
export function futureTsProblem(ts: Date, now: Date): string | null {
  const ahead = ts.getTime() - now.getTime();
  if (ahead <= LIMITS.maxFutureSkewMs) return null;
  const skew = LIMITS.maxFutureSkewMs / 1000;
  const by = ahead < 86_400_000 ? `${Math.ceil(ahead / 1000)} s` : `${Math.floor(ahead / 86_400_000)} days`;
  return `is ${by} ahead of the server clock; at most ${skew} s ahead is accepted (check the sender's clock)`;
}

export function validateBatch(body: unknown, opts: ValidateOptions = {}): BatchCheck {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { ok: false, status: 400, error: 'body must be a JSON object {"events":[...]}', field: "body" };
  const extra = Object.keys(body).filter((k) => k !== "events");
  if (extra.length > 0)
    return {
      ok: false,
      status: 400,
      error: `unknown field ${JSON.stringify(extra[0]).slice(0, 80)}`,
      field: extra[0]?.slice(0, 64),
    };
  const list = (body as { events?: unknown }).events;
  if (!Array.isArray(list))
    return { ok: false, status: 400, error: "events must be an array", field: "events" };
  if (list.length === 0)
    return { ok: false, status: 400, error: "events must not be empty", field: "events" };
  if (list.length > LIMITS.maxEvents)
    return {
      ok: false,
      status: 413,
      error: `at most ${LIMITS.maxEvents} events per batch (got ${list.length})`,
      field: "events",
    };
  const events: IngestEvent[] = [];
  const details: ItemError[] = [];
  const now = opts.now ?? new Date();
  list.forEach((item, index) => {
    const r = eventSchema.safeParse(item);
    const ahead = r.success ? futureTsProblem(r.data.ts, now) : null;
    if (ahead) {
      if (details.length < MAX_REPORTED) details.push({ index, field: "ts", message: ahead });
    } else if (r.success && !opts.consoleRecords && r.data.type.startsWith("escalation.")) {
      if (details.length < MAX_REPORTED)
        details.push({
          index,
          field: "type",
          message:
            "escalation.* events are recorded by the console itself (POST /api/v1/escalations/{id}/use records a use)",
        });
    } else if (r.success) events.push(r.data);
    else if (details.length < MAX_REPORTED) details.push(...itemErrors(index, r.error));
  });
  if (details.length > 0) {
    const first = details[0] as ItemError;
    return {
      ok: false,
      status: 400,
      error: `${details.length >= MAX_REPORTED ? "many" : details.length} invalid field(s); nothing was stored`,
      field: `events[${first.index}].${first.field}`,
      details: details.slice(0, MAX_REPORTED),
    };
  }
  return { ok: true, events };
}
