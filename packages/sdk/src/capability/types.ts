import type { Clock } from "./clock.js";
import type { IssuerKeyPair } from "./keys.js";
import type { RevocationList } from "./revocation.js";

/**
 * Explicit run limits: the library default (1 ms) fails with "RunLimit: Timeout" on a cold
 * JIT or a busy machine. Our datalog is a handful of facts, so facts/iterations stay small
 * and the time limit (100 ms, far above the ~30 us a call takes) only stops pathological
 * third-party tokens; tail latencies of a few ms happen on a busy 2-core machine.
 */
export interface RunLimits {
  maxFacts: number;
  maxIterations: number;
  maxTimeMicros: number;
}

/** What a root capability grants: actions on one resource type, optionally only some ids/fields. */
export interface Right {
  resource: string;
  actions: string[];
  /** Omitted: every id of that resource type. */
  ids?: string[];
  /** Omitted: every field. */
  fields?: string[];
}

/** Per-call ceilings, e.g. { rows: 100 }: an operation declares its use, a check caps it. */
export type Budget = Record<string, number>;

/** One operation a capability is asked to authorize. */
export interface Operation {
  resource: string;
  action: string;
  id?: string;
  fields?: string[];
  use?: Budget;
  /**
   * The tool making the call and the digest of its arguments, when there is one (the gateway's
   * calls). A capability narrowed to a tool or a digest refuses an operation that lacks them.
   */
  tool?: string;
  argDigest?: string;
}

export type CapabilityKind = "minted" | "attenuated" | "escalation";

export interface MintInput {
  issuer: IssuerKeyPair;
  tenant: string;
  principal: string;
  agent: string;
  session: string;
  request: string;
  rights: Right[];
  budget?: Budget;
  ttlMs: number;
  clock: Clock;
  /** Escalations are minted by the console's own key for exactly one operation. */
  kind?: "minted" | "escalation";
  limits?: RunLimits;
  /** Consulted on every authorize of this capability and of everything narrowed from it. */
  revocations?: RevocationList;
}

/** One allowed shape in a narrowing; an omitted dimension is left as the parent had it. */
export interface Scope {
  resources?: string[];
  actions?: string[];
  ids?: string[];
  fields?: string[];
}

/**
 * How to narrow. Shorthand fields (resource, id, action, ...) describe one scope; `scopes`
 * lists alternatives (an operation must fit one of them). Narrowing only ever adds checks.
 */
export interface NarrowSpec {
  resource?: string;
  resources?: string[];
  id?: string;
  ids?: string[];
  action?: string;
  actions?: string[];
  fields?: string[];
  scopes?: Scope[];
  /** Absolute expiry (ms); the later of this and the parent's expiry never wins. */
  expiresAt?: number;
  /** Expiry relative to the capability's clock. */
  ttlMs?: number;
  budget?: Budget;
  /** Only this tool (the operation's `tool`): one per call, e.g. the gateway's exposed tool name. */
  tool?: string;
  /** Only these exact arguments (the operation's `argDigest`, e.g. `hmac-sha256:<hex>`). */
  argDigest?: string;
}

export interface NormalizedNarrowing {
  scopes: Scope[];
  expiresAt?: number;
  budget?: Budget;
  tool?: string;
  argDigest?: string;
}

export type Decision =
  | { allowed: true }
  | { allowed: false; code: "denied" | "revoked" | "run_limit" | "execution" | "malformed"; reason: string };

/** The `capability.summary` object of DESIGN.md's event schema plus derivation details. */
export interface CapabilitySummary {
  principal: string;
  tenants: string[];
  rights: Right[];
  budget: Budget;
  session: string;
  request: string;
  agent: string;
  issuer: string;
  kind: CapabilityKind;
  issuedAt: string;
  expiresAt: string;
  /** Capability ids from the root (block 0) to this capability. */
  chain: string[];
  /** Checks in the token that this library did not write (foreign attenuation). */
  opaqueChecks: number;
}
