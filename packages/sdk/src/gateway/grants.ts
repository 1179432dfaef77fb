// Step-up: the escalations an admin granted for one gateway session, picked up from the console
// once, matched to a retried call by its exact operation (argument digest included), and used
// (recorded with the console) before the upstream is called.
import type { Capability, Clock } from "../capability/index.js";
import type { ConsoleClientOptions } from "../client/console-client.js";
import { pickUpEscalations, useEscalation } from "../client/escalations.js";
import type { PlatformVerifier } from "../client/platform.js";
import type { GatewayOperation } from "../schema/gateway.js";
import type { PickedUpEscalation } from "../schema/wire.js";
import { capabilityOperation } from "./narrowing.js";

export type GrantUse =
  | { allowed: true; capability: Capability }
  | { allowed: false; code: string; reason: string; capability?: Capability };

export class SessionGrants {
  private grants: PickedUpEscalation[] = [];

  constructor(
    private readonly o: {
      console: ConsoleClientOptions;
      clock: Clock;
      verifier: PlatformVerifier;
      session: string;
    },
  ) {}

  /** A grant for exactly `op`, from what was picked up before or a new pick-up. */
  async find(op: GatewayOperation): Promise<PickedUpEscalation | undefined> {
    const now = this.o.clock.now();
    const matches = (g: PickedUpEscalation) =>
      g.operation.tool === op.tool &&
      g.operation.resourceType === op.resourceType &&
      g.operation.resourceId === op.resourceId &&
      g.operation.action === op.action &&
      g.operation.argDigest === op.argDigest;
    this.grants = this.grants.filter((g) => Date.parse(g.expiresAt) > now);
    const held = this.grants.find(matches);
    if (held) return held;
    const picked = await pickUpEscalations(this.o.console, this.o.session);
    this.grants.push(...picked);
    return picked.find(matches);
  }

  /**
   * Verifies the console-signed token and records the one use with the console; only an allowed
   * answer lets the call through. The grant is dropped either way (single use).
   */
  async use(grant: PickedUpEscalation, op: GatewayOperation): Promise<GrantUse> {
    this.grants = this.grants.filter((g) => g !== grant);
    const verified = this.o.verifier.verify(grant.token);
    if (!verified.ok) return { allowed: false, code: "token_mismatch", reason: verified.error.message };
    // The console checks the operation again when it records the use; the signed token must cover
    // the call too (its resource type, id and action), so a pick-up answer that names another
    // operation than its token is refused here, before the grant's one use is spent on it.
    const covers = verified.capability.authorize(capabilityOperation(op));
    if (!covers.allowed)
      return {
        allowed: false,
        // A Datalog refusal is a token for another operation; expiry or revocation say so.
        code: covers.code === "denied" ? "token_mismatch" : covers.code,
        reason: `the escalation's token does not authorize this call (${covers.reason})`,
        capability: verified.capability,
      };
    const used = await useEscalation(this.o.console, grant, op).catch((err: unknown) => ({
      allowed: false as const,
      code: "unknown" as const,
      reason: `the console could not record the use: ${(err as Error).message}`,
    }));
    return used.allowed
      ? { allowed: true, capability: verified.capability }
      : { allowed: false, code: used.code, reason: used.reason, capability: verified.capability };
  }
}
