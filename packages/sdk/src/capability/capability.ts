import type { Biscuit } from "@biscuit-auth/biscuit-wasm";
import { authorizeOperation } from "./authorize.js";
import { type BlockInfo, budgetOf, type CapContext, expiryOf, readBlock } from "./block-reader.js";
import type { Clock } from "./clock.js";
import { narrowingCode } from "./datalog.js";
import { effectiveRights } from "./effective-rights.js";
import { CapabilityError, fromBiscuitError } from "./errors.js";
import { explainDenial } from "./reasons.js";
import { type RevocationList, revocationReason } from "./revocation.js";
import { encodeToken, parseWithKey, type RunLimits, revocationIdsOf, tokenHash } from "./token.js";
import type { CapabilityKind, CapabilitySummary, Decision, NarrowSpec, Operation } from "./types.js";
import { normalizeNarrowing, normalizeOperation } from "./validate.js";
import { type BiscuitModule, biscuitRuntime, currentGeneration } from "./wasm-loader.js";

/** Generation of a capability whose parsed token was released (never a real generation). */
const RELEASED = -2;

export interface CapabilityInit {
  biscuit: Biscuit;
  /** wasm generation of `biscuit`; see wasm-loader for why there are several. */
  generation: number;
  /** Root public key bytes, to re-parse the token on a newer wasm generation. */
  rootKey: Uint8Array;
  bytes: Uint8Array;
  clock: Clock;
  limits: RunLimits;
  /** Checked again on every authorize, so revoking reaches capabilities already in memory. */
  revocations?: RevocationList;
  /** Revocation ids when the caller already has them (parseToken reads them from the bytes). */
  revocationIds?: readonly string[];
  /** Block 0's context when already read (null: none); otherwise read on first use. */
  context?: CapContext | null;
}

/**
 * A verified (or freshly minted) Biscuit token with the clock and revocation list it answers
 * to. Immutable: narrowing returns a new capability whose parent is this one.
 */
export class Capability {
  readonly bytes: Uint8Array;
  readonly revocationIds: readonly string[];
  private biscuit: Biscuit;
  private generation: number;
  private readonly init: CapabilityInit;
  private blockCache: BlockInfo[] | undefined;
  private contextCache: CapContext | null | undefined;
  private hashCache: string | undefined;
  private tokenCache: string | undefined;

  constructor(init: CapabilityInit) {
    this.init = init;
    this.biscuit = init.biscuit;
    this.generation = init.generation;
    this.bytes = init.bytes;
    this.revocationIds = init.revocationIds ?? revocationIdsOf(init.biscuit);
    this.contextCache = init.context;
  }

  /**
   * Frees the parsed token's wasm memory now instead of when this object is garbage collected.
   * The JS engine does not see wasm memory, so a server verifying a token per request can pile up
   * tens of MB of parsed tokens between collections. Safe at any time: the capability stays
   * usable, and its next wasm use parses the bytes again (signatures included).
   */
  release(): void {
    if (this.generation === RELEASED) return;
    // A biscuit of a retired generation belongs to an instance that is already gone.
    if (this.generation === currentGeneration()) this.biscuit.free();
    this.generation = RELEASED;
  }

  /** The wasm objects for the current generation, re-parsing (signatures included) if needed. */
  private live(): { bw: BiscuitModule; biscuit: Biscuit } {
    const { bw, generation } = biscuitRuntime();
    if (generation !== this.generation) {
      this.biscuit = parseWithKey(bw, this.bytes, this.init.rootKey);
      this.generation = generation;
    }
    return { bw, biscuit: this.biscuit };
  }

  /** Revocation id of the last block. */
  get id(): string {
    return this.revocationIds[this.revocationIds.length - 1] as string;
  }

  get parentId(): string | undefined {
    return this.revocationIds.length > 1 ? this.revocationIds[this.revocationIds.length - 2] : undefined;
  }

  get rootId(): string {
    return this.revocationIds[0] as string;
  }

  get depth(): number {
    return this.revocationIds.length - 1;
  }

  /** The token as base64url text (encoded on first use: a verifier often never needs it). */
  get token(): string {
    this.tokenCache ??= encodeToken(this.bytes);
    return this.tokenCache;
  }

  get hash(): string {
    this.hashCache ??= tokenHash(this.bytes);
    return this.hashCache;
  }

  get clock(): Clock {
    return this.init.clock;
  }

  /** Block 0's context, read from the first block only (cheap enough for every verify). */
  get context(): CapContext | undefined {
    if (this.contextCache === undefined) {
      this.contextCache =
        this.blockCache?.[0]?.context ?? readBlock(0, this.live().biscuit.getBlockSource(0)).context ?? null;
    }
    return this.contextCache ?? undefined;
  }

  get kind(): CapabilityKind {
    if (this.depth > 0) return "attenuated";
    return this.context?.kind ?? "minted";
  }

  blocks(): readonly BlockInfo[] {
    if (!this.blockCache) {
      const { biscuit } = this.live();
      this.blockCache = Array.from({ length: this.revocationIds.length }, (_, i) =>
        readBlock(i, biscuit.getBlockSource(i)),
      );
    }
    return this.blockCache;
  }

  get expiresAt(): number | undefined {
    return expiryOf(this.blocks());
  }

  /** Why this capability is revoked right now, if it is. */
  revokedReason(): string | undefined {
    const ctx = this.context;
    return revocationReason(
      { revocationIds: this.revocationIds, session: ctx?.session, principal: ctx?.principal },
      this.init.revocations,
    );
  }

  /** Offline attenuation: appends a block of checks; never needs a private key. */
  narrowTo(spec: NarrowSpec): Capability {
    const narrowing = normalizeNarrowing(spec, this.init.clock.now());
    const { code, params } = narrowingCode(narrowing);
    const { bw, biscuit } = this.live();
    const block = new bw.BlockBuilder();
    try {
      block.addCodeWithParameters(code, params, {});
      const child = biscuit.appendBlock(block);
      return new Capability({
        ...this.init,
        biscuit: child,
        generation: this.generation,
        bytes: child.toBytes(),
        revocationIds: undefined,
        context: undefined,
      });
    } catch (raw) {
      const error = fromBiscuitError(raw);
      throw new CapabilityError(
        "attenuation_failed",
        `cannot narrow this capability (${error.message})`,
        raw,
      );
    } finally {
      block.free();
    }
  }

  /** Allow, or deny with a reason that names the failed check. Never throws for a denial. */
  authorize(operation: Operation): Decision {
    const op = normalizeOperation(operation);
    const revoked = this.revokedReason();
    if (revoked) return { allowed: false, code: "revoked", reason: revoked };
    const nowMs = this.init.clock.now();
    try {
      authorizeOperation({ biscuit: this.live().biscuit, op, nowMs, limits: this.init.limits });
      return { allowed: true };
    } catch (raw) {
      const error = fromBiscuitError(raw);
      if (error.code !== "denied")
        return { allowed: false, code: error.code as "run_limit", reason: error.message };
      const reason = explainDenial({ op, detail: error.detail, blocks: () => this.blocks(), nowMs });
      return { allowed: false, code: "denied", reason };
    }
  }

  summary(): CapabilitySummary {
    const blocks = this.blocks();
    const ctx = this.context;
    const expiresAt = this.expiresAt;
    return {
      principal: ctx?.principal ?? "",
      tenants: ctx ? [ctx.tenant] : [],
      rights: effectiveRights(blocks),
      budget: budgetOf(blocks),
      session: ctx?.session ?? "",
      request: ctx?.request ?? "",
      agent: ctx?.agent ?? "",
      issuer: ctx?.issuer ?? "",
      kind: this.kind,
      issuedAt: ctx ? new Date(ctx.issuedAt).toISOString() : "",
      expiresAt: expiresAt === undefined ? "" : new Date(expiresAt).toISOString(),
      chain: [...this.revocationIds],
      opaqueChecks: blocks.reduce(
        (n, b) => n + b.opaqueStatements + b.checks.filter((c) => c.kind === "opaque").length,
        0,
      ),
    };
  }

  /** Never print the token itself: logs are not a safe place for bearer credentials. */
  toJSON(): { id: string; hash: string } {
    return { id: this.id, hash: this.hash };
  }

  toString(): string {
    return `Capability(${this.id.slice(0, 12)}…)`;
  }
}
