// Per-call narrowing of a session's root capability, and its authorization of the one call.
import type { Capability, Clock, Decision, Operation } from "../capability/index.js";
import { LruCache } from "../capability/lru.js";
import type { GatewayOperation } from "../schema/gateway.js";
import { capabilityResourceId } from "./policy.js";

/** A narrowed capability and when its own TTL ends. */
export interface NarrowedEntry {
  capability: Capability;
  expiresAt: number;
}

const MAX_HELD = 256;

/**
 * The call as the capability sees it: resource type, resource id, action, tool and argument
 * digest. Ids and tool names that are not capability names are named by their sha256, as the
 * console's escalations name them; the digest (`hmac-sha256:<hex>`) is one as it is.
 */
export function capabilityOperation(op: GatewayOperation): Operation {
  return {
    resource: op.resourceType,
    action: op.action,
    id: capabilityResourceId(op.resourceId),
    tool: capabilityResourceId(op.tool),
    argDigest: op.argDigest,
  };
}

function heldKey(root: Capability, cap: Operation): string {
  return [root.id, cap.tool, cap.resource, cap.id, cap.action, cap.argDigest].join("\u0000");
}

export class Narrowings {
  private readonly held = new LruCache<string, NarrowedEntry>(MAX_HELD);

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  /**
   * The root narrowed to exactly this call: its tool, resource type, resource id, action and
   * argument digest, with a TTL of seconds. Appending a block signs it (a fresh key pair per
   * block), so the exact same call (same tool, resource, action and arguments) on the same root
   * reuses its narrowed capability while more than half of its TTL is left; any other call is
   * narrowed afresh. `fresh`: narrowed just now (then it gets its own event).
   */
  narrow(root: Capability, op: GatewayOperation): { entry: NarrowedEntry; fresh: boolean } {
    const cap = capabilityOperation(op);
    const key = heldKey(root, cap);
    const now = this.clock.now();
    const held = this.heldFor(key, now);
    if (held) return { entry: held, fresh: false };
    const capability = root.narrowTo({
      resource: cap.resource,
      id: cap.id,
      action: cap.action,
      tool: cap.tool,
      argDigest: cap.argDigest,
      ttlMs: this.ttlMs,
    });
    const entry = { capability, expiresAt: now + this.ttlMs };
    this.held.set(key, entry);
    return { entry, fresh: true };
  }

  /** The narrowed capability this exact call would reuse, if one is held (no narrowing). */
  peek(root: Capability, op: GatewayOperation): NarrowedEntry | undefined {
    return this.heldFor(heldKey(root, capabilityOperation(op)), this.clock.now());
  }

  private heldFor(key: string, now: number): NarrowedEntry | undefined {
    const held = this.held.get(key);
    return held && held.expiresAt - now > this.ttlMs / 2 ? held : undefined;
  }

  /**
   * Whether this call may reach the upstream, decided before it does: the root's answer with the
   * call's own facts, and, when this exact call holds a narrowing, that narrowing not revoked by
   * its own id. The narrowing only restates this very call (its tool, resource, action, digest,
   * a TTL from now; a held one has more than half of it left), so the narrowed capability allows
   * the call exactly when this does (a property test holds them to it). That lets the gateway
   * sign a fresh narrowing after the answer, as evidence, instead of on the agent's time.
   */
  gate(root: Capability, op: GatewayOperation): { decision: Decision; held?: NarrowedEntry } {
    const held = this.peek(root, op);
    const revoked = held?.capability.revokedReason();
    if (revoked) return { decision: { allowed: false, code: "revoked", reason: revoked }, held };
    return { decision: root.authorize(capabilityOperation(op)), held };
  }

  /**
   * The narrowed capability's answer for this call, run on every call (revocation, expiry and
   * the Datalog, with the call's own tool and argument digest as facts): a capability narrowed
   * for another tool, resource, action or arguments refuses it.
   */
  authorize(entry: NarrowedEntry, op: GatewayOperation): Decision {
    return entry.capability.authorize(capabilityOperation(op));
  }
}
