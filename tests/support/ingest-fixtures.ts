import { createHash } from "node:crypto";
import { count, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { events } from "@/db/schema";
import type { CheckpointSigner } from "@/lib/audit/checkpoint";
import { insertApiKey } from "@/lib/data/api-keys";
import { uuidv7 } from "@/lib/ids";
import { generateConsoleKey } from "@/lib/server/issuer-key";

export const consoleKey = generateConsoleKey();
export const signer: CheckpointSigner = consoleKey;
export const verifyKeys = [{ kid: consoleKey.kid, publicKey: consoleKey.publicKey }];

export async function newKey(db: Db, tenant: string, source = "test-agent"): Promise<string> {
  return (await insertApiKey(db, { tenant, source, createdBy: "test" })).key;
}

const hex = (s: string) => createHash("sha256").update(s).digest("hex");

let counter = 0;
/** A valid tool.call event of DESIGN.md's example shape, overridable. */
export function makeEvent(tenant: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  const capId = `cap${hex(`cap-${counter}`).slice(0, 29)}`;
  return {
    id: uuidv7(),
    ts: new Date(Date.UTC(2026, 10, 26, 9, 14, 3, counter % 1000)).toISOString(),
    tenant,
    type: "tool.call",
    principal: "alice@acme.example",
    agent: "alice-assistant/research",
    session: "sess_7Hq2",
    request: `req_${counter}`,
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    tool: "crm.lookup_customer",
    action: "read",
    resource: { type: "Customer", id: "c_381" },
    fields: ["name", "email"],
    outcome: "denied",
    reason: "resource Order is not Customer#c_381 (check in block 2)",
    capability: {
      id: capId,
      hash: `sha256:${hex(capId)}`,
      depth: 0,
      issuer: "acme-2026-11",
      kind: "minted",
      expiresAt: "2026-11-26T09:15:03.000Z",
      summary: {
        principal: "alice@acme.example",
        tenants: [tenant],
        rights: [{ resource: "Customer", actions: ["read"], ids: ["c_381"], fields: ["name", "email"] }],
        budget: { rows: 100 },
        session: "sess_7Hq2",
        request: `req_${counter}`,
      },
    },
    inputDigest: `hmac-sha256:${hex(`input-${counter}`)}`,
    latencyMs: 12,
    meta: { attempt: 1, note: "ok" },
    ...over,
  };
}

export function ingestRequest(
  key: string | null,
  body: unknown,
  init: { contentType?: string; raw?: BodyInit; headers?: Record<string, string> } = {},
): Request {
  const headers: Record<string, string> = {
    "content-type": init.contentType ?? "application/json",
    ...init.headers,
  };
  if (key) headers.authorization = `Bearer ${key}`;
  return new Request("http://console.test/api/v1/events", {
    method: "POST",
    headers,
    body: init.raw ?? JSON.stringify(body),
    // biome-ignore lint/suspicious/noExplicitAny: undici needs duplex for stream bodies.
    ...({ duplex: "half" } as any),
  });
}

export async function eventCount(db: Db, tenant?: string): Promise<number> {
  const q = db.select({ n: count() }).from(events);
  const [row] = await (tenant ? q.where(eq(events.tenant, tenant)) : q);
  return row?.n ?? 0;
}
