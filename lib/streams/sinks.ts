// How each kind of stream packs events into HTTP requests.
// - webhook: one request per event (Standard Webhooks: the event id is `webhook-id`, the
//   receiver's idempotency key), body {type, timestamp, data};
// - splunk_hec: one request per batch, HEC's concatenated JSON objects, `Authorization: Splunk`;
// - jsonl: one request per batch, JSON Lines, optional bearer token, each line carrying its id.
import { formatEvent, type StreamEvent, type StreamFormat } from "./formats";
import { signWebhook, type WebhookScheme } from "./webhook-signature";

export type StreamKind = "webhook" | "splunk_hec" | "jsonl";

export interface SinkConfig {
  kind: StreamKind;
  format: StreamFormat;
  signing: WebhookScheme | null;
  /** Decrypted: whsk_/whsec_ for webhooks, the HEC token, or the bearer token ("" for none). */
  secret: string;
}

export interface OutgoingRequest {
  /** The events this request carries, in chain order: delivered together or not at all. */
  events: StreamEvent[];
  headers: Record<string, string>;
  body: string;
}

const USER_AGENT = "capability-console-streams/1";

export function buildRequests(
  sink: SinkConfig,
  batch: readonly StreamEvent[],
  nowSeconds: number,
): OutgoingRequest[] {
  if (batch.length === 0) return [];
  if (sink.kind === "webhook") {
    if (!sink.signing) throw new Error("a webhook stream needs a signing scheme");
    const scheme = sink.signing;
    return batch.map((s) => {
      const body = JSON.stringify({
        type: `capcon.${s.event.type}`,
        timestamp: s.event.ts.toISOString(),
        data: formatEvent(sink.format, s),
      });
      const signed = signWebhook({
        keys: { scheme, secret: sink.secret },
        id: s.event.id,
        timestamp: nowSeconds,
        body,
      });
      return {
        events: [s],
        headers: { "content-type": "application/json", "user-agent": USER_AGENT, ...signed },
        body,
      };
    });
  }
  if (sink.kind === "splunk_hec") {
    const body = batch
      .map((s) =>
        JSON.stringify({
          time: s.event.ts.getTime() / 1000,
          host: "capability-console",
          source: `capability-console:${s.event.tenant}`,
          sourcetype: `capcon:${sink.format}`,
          event: formatEvent(sink.format, s),
          fields: { event_id: s.event.id, tenant: s.event.tenant },
        }),
      )
      .join("\n");
    return [
      {
        events: [...batch],
        headers: {
          "content-type": "application/json",
          "user-agent": USER_AGENT,
          authorization: `Splunk ${sink.secret}`,
        },
        body,
      },
    ];
  }
  const body = `${batch.map((s) => JSON.stringify({ id: s.event.id, ...formatEvent(sink.format, s) })).join("\n")}\n`;
  const first = batch[0] as StreamEvent;
  const last = batch[batch.length - 1] as StreamEvent;
  return [
    {
      events: [...batch],
      headers: {
        "content-type": "application/x-ndjson",
        "user-agent": USER_AGENT,
        // The same batch retried carries the same key; each line also carries its event id.
        "idempotency-key": `${first.event.tenant}:${first.event.seq}-${last.event.seq}`,
        ...(sink.secret ? { authorization: `Bearer ${sink.secret}` } : {}),
      },
      body,
    },
  ];
}
