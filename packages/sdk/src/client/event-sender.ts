// Sends audit events to the console (POST /api/v1/events) from an agent platform, in another
// process. Framework-free: give it a fetch, the console's URL and an ingest key.
//
// Delivery: at least once, stored exactly once. Events keep their ids across retries, and the
// console stores each id once, so a retry after a lost reply cannot duplicate anything.

import type { EventV1 } from "../schema/event.js";
import { apiErrorSchema, type IngestResponse, ingestResponseSchema } from "../schema/wire.js";
import { DEFAULT_TIMEOUT_MS } from "./console-client.js";

/** An event as sent: the v1 wire event (see the schema's `eventSchema`). */
export type SenderEvent = EventV1;

export interface SendReport {
  accepted: number;
  duplicates: number;
  conflicts: string[];
  /** Events the console refused as invalid: dropped, since resending cannot fix them. */
  rejected: { id: string; field?: string; message: string }[];
}

export interface EventSenderOptions {
  /** The console's base URL, e.g. http://localhost:3000 */
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /**
   * Bound on one request, the answer's body included (default 5 s). A request that takes longer
   * is aborted and retried like a network error; the ids make the retry safe.
   */
  timeoutMs?: number;
  /** Events per request (the console takes up to 1,000). */
  batchSize?: number;
  /** Send a partial batch after this long. */
  flushIntervalMs?: number;
  /** Events held at most; `send` waits for room beyond that (back-pressure). */
  maxBuffer?: number;
  /** Retries of one batch before it is reported as failed and kept for the next flush. */
  maxRetries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  sleep?: (ms: number) => Promise<void>;
  onReport?: (report: SendReport) => void;
  onError?: (error: Error) => void;
}

export class IngestRejectedError extends Error {
  override name = "IngestRejectedError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type ItemError = { index: number; field?: string; message: string };

/** Built once: `.partial()` makes a new schema on every call. */
const storedSchema = ingestResponseSchema.partial();
const refusedSchema = apiErrorSchema.partial();

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

export class EventSender {
  private readonly o: Required<Omit<EventSenderOptions, "onReport" | "onError">> &
    Pick<EventSenderOptions, "onReport" | "onError">;
  private buffer: SenderEvent[] = [];
  private waiters: (() => void)[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inflight: Promise<void> | undefined;
  private closed = false;

  constructor(options: EventSenderOptions) {
    this.o = {
      fetch: globalThis.fetch.bind(globalThis),
      timeoutMs: DEFAULT_TIMEOUT_MS,
      batchSize: 500,
      flushIntervalMs: 1000,
      maxBuffer: 10_000,
      maxRetries: 8,
      backoffBaseMs: 200,
      backoffMaxMs: 10_000,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      ...options,
      baseUrl: options.baseUrl.replace(/\/$/, ""),
    };
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Buffers one event; waits while the buffer is full, so a fast producer slows down. */
  async send(event: SenderEvent): Promise<void> {
    if (this.closed) throw new Error("EventSender is closed");
    while (this.buffer.length >= this.o.maxBuffer) {
      void this.flush();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.buffer.push(event);
    if (this.buffer.length >= this.o.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.o.flushIntervalMs);
  }

  /** Sends everything buffered now; resolves when it is stored or has failed its retries. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.inflight ??= this.drain().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** The tool wrapper's AuditSink: pass the sender as `runtime.sink` and every call is sent. */
  emit(event: SenderEvent): Promise<void> {
    return this.send(event);
  }

  /** Flushes and stops; call on shutdown (e.g. on SIGTERM) so nothing buffered is lost. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    // A send that arrived during the last drain.
    if (this.buffer.length > 0) await this.flush();
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, this.o.batchSize);
      const ok = await this.deliver(batch);
      if (!ok) {
        // Kept in the buffer; try again later rather than wait for the next send.
        if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), this.o.backoffMaxMs);
        return;
      }
      this.buffer.splice(0, batch.length);
      this.wake();
    }
  }

  /** One batch, retried with exponential backoff and jitter; true once the console answered. */
  private async deliver(batch: SenderEvent[]): Promise<boolean> {
    let events = batch;
    for (let attempt = 0; ; attempt++) {
      let res: Response | undefined;
      let retryAfterMs: number | undefined;
      let stored: Partial<IngestResponse> | undefined;
      try {
        res = await this.o.fetch(`${this.o.baseUrl}/api/v1/events`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${this.o.apiKey}` },
          body: JSON.stringify({ events }),
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        if (res.ok) {
          // Read under the same timeout; a body that never ends counts as a failed attempt.
          const body = storedSchema.safeParse(await res.json());
          stored = body.success ? body.data : {};
        }
      } catch (err) {
        res = undefined;
        this.o.onError?.(err instanceof Error ? err : new Error(String(err)));
      }
      if (stored) {
        this.o.onReport?.({
          accepted: stored.accepted ?? 0,
          duplicates: stored.duplicates ?? 0,
          conflicts: (stored.results ?? []).filter((r) => r.status === "conflict").map((r) => r.id),
          rejected: batch.length === events.length ? [] : this.rejectedOf(batch, events),
        });
        return true;
      }
      if (res && res.status === 400) {
        // Drop only the items the console named as invalid, then send the rest again.
        const parsed = refusedSchema.safeParse(await res.json().catch(() => ({})));
        const body: { details?: ItemError[]; error?: string } = parsed.success ? parsed.data : {};
        const bad = new Set((body.details ?? []).map((d) => d.index));
        if (bad.size === 0 || bad.size >= events.length) {
          const err = new IngestRejectedError(400, body.error ?? "batch refused");
          this.o.onError?.(err);
          this.o.onReport?.({
            accepted: 0,
            duplicates: 0,
            conflicts: [],
            rejected: events.map((e) => ({ id: e.id, message: body.error ?? "refused" })),
          });
          return true;
        }
        for (const d of body.details ?? []) {
          const e = events[d.index];
          if (e) this.rejectedLog.set(e.id, { id: e.id, field: d.field, message: d.message });
        }
        events = events.filter((_, i) => !bad.has(i));
        attempt = -1;
        continue;
      }
      if (res && !RETRYABLE.has(res.status)) {
        // 401, 403, 413...: resending will not help; keep the events and tell the operator.
        this.o.onError?.(new IngestRejectedError(res.status, await res.text().catch(() => "")));
        return false;
      }
      if (res) retryAfterMs = Number(res.headers.get("retry-after")) * 1000 || undefined;
      if (attempt >= this.o.maxRetries) return false;
      const backoff = Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** attempt);
      await this.o.sleep(retryAfterMs ?? backoff / 2 + Math.random() * (backoff / 2));
    }
  }

  private rejectedLog = new Map<string, SendReport["rejected"][number]>();

  private rejectedOf(batch: SenderEvent[], sent: SenderEvent[]): SendReport["rejected"] {
    const sentIds = new Set(sent.map((e) => e.id));
    const out = batch
      .filter((e) => !sentIds.has(e.id))
      .map((e) => this.rejectedLog.get(e.id) ?? { id: e.id, message: "" });
    for (const r of out) this.rejectedLog.delete(r.id);
    return out;
  }
}
