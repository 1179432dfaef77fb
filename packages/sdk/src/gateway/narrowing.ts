// Per-call narrowing of a session's root capability, and its authorization of the one operation.
import type { Capability, Clock, Decision } from "../capability/index.js";
import type { GatewayOperation } from "../schema/gateway.js";
import { capabilityResourceId } from "./policy.js";

/** A narrowed capability and whether it has authorized its one operation already. */
export interface NarrowedEntry {
  capability: Capability;
  expiresAt: number;
  authorized: boolean;
}

const MAX_HELD = 256;

export class Narrowings {
  private readonly held = new Map<string, NarrowedEntry>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  /**
   * The root narrowed to exactly the operation's resource type, resource id and action, with a
   * TTL of seconds. Appending a block signs it (a fresh key pair per block), most of a call's own
   * cost, so the same operation (same resource, same action) reuses its narrowed capability while
   * more than half of its TTL is left; every call still checks it, and its event names it with
   * that call's argument digest. `fresh`: narrowed just now (then it gets its own event).
   */
  narrow(root: Capability, op: GatewayOperation): { entry: NarrowedEntry; fresh: boolean } {
    const id = capabilityResourceId(op.resourceId);
    const key = `${root.id}\u0000${op.resourceType}\u0000${id}\u0000${op.action}`;
    const now = this.clock.now();
    const held = this.held.get(key);
    if (held && held.expiresAt - now > this.ttlMs / 2) return { entry: held, fresh: false };
    const capability = root.narrowTo({ resource: op.resourceType, id, action: op.action, ttlMs: this.ttlMs });
    if (this.held.size >= MAX_HELD) this.held.clear();
    const entry = { capability, expiresAt: now + this.ttlMs, authorized: false };
    this.held.set(key, entry);
    return { entry, fresh: true };
  }

  /**
   * The narrowed capability's answer for its one operation. Once it said yes, only a revocation
   * or its expiry can change that (its blocks are immutable): those are checked on every call, as
   * the SDK's verifier does for the tokens it caches, and the Datalog is not run again.
   */
  authorize(entry: NarrowedEntry, op: GatewayOperation): Decision {
    if (entry.authorized && this.clock.now() < entry.expiresAt) {
      const revoked = entry.capability.revokedReason();
      return revoked ? { allowed: false, code: "revoked", reason: revoked } : { allowed: true };
    }
    const decision = entry.capability.authorize({
      resource: op.resourceType,
      action: op.action,
      id: capabilityResourceId(op.resourceId),
    });
    entry.authorized = decision.allowed;
    return decision;
  }
}
