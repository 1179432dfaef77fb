import type { Authority } from "@/lib/auth/authority";
import { uuidv7 } from "@/lib/ids";
import type { ChainedContent } from "./chain";

/**
 * Every admin action is itself an event in the audit log (type console.*), one per tenant it
 * concerns, so each tenant's auditors see what was done to it.
 */
export function consoleEvents(args: {
  actor: Pick<Authority, "email" | "sessionId">;
  type: `console.${string}`;
  tenants: readonly string[];
  outcome?: "allowed" | "denied";
  reason?: string;
  resource?: { type: string; id: string };
  meta?: Record<string, unknown>;
  now?: Date;
}): ChainedContent[] {
  const now = args.now ?? new Date();
  return [...new Set(args.tenants)].map((tenant) => ({
    id: uuidv7(now.getTime()),
    ts: now,
    tenant,
    type: args.type,
    principal: args.actor.email,
    agent: "console",
    session: args.actor.sessionId,
    action: args.type.slice("console.".length),
    resourceType: args.resource?.type ?? null,
    resourceId: args.resource?.id ?? null,
    outcome: args.outcome ?? "allowed",
    reason: args.reason ?? null,
    meta: args.meta ?? {},
  }));
}
