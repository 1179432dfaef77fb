/**
 * Capability core: Biscuit tokens for agent tool calls. Entry points are async only because
 * the wasm module loads once; everything on a Capability afterwards is synchronous.
 */
export { formatBearer, parseBearer } from "./bearer.js";
export type { BlockInfo, CapContext, CheckInfo } from "./block-reader.js";
export { Capability } from "./capability.js";
export { type Clock, createTestClock, systemClock, type TestClock } from "./clock.js";
export { CapabilityError, type CapabilityErrorCode } from "./errors.js";
export {
  formatPrivateKey,
  formatPublicKey,
  generateIssuerKey,
  type IssuerKeyPair,
  type IssuerPublicKey,
  parsePrivateKeyBytes,
  parsePublicKeyBytes,
  publicKeyFromPrivate,
  rootKeyIdOf,
  toPublicKey,
} from "./keys.js";
export { createKeyset, type Keyset, type KeysetEntry } from "./keyset.js";
export {
  DEFAULT_ESCALATION_MAX_TTL_MS,
  type EscalationInput,
  mintCapability,
  mintEscalation,
} from "./mint.js";
export { capabilityResourceId } from "./resource-id.js";
export {
  createRevocationList,
  type MutableRevocationList,
  type RevocationList,
  revocationReason,
} from "./revocation.js";
export {
  DEFAULT_RUN_LIMITS,
  decodeToken,
  encodeToken,
  type ParsedToken,
  parseToken,
  type RunLimits,
  readRootKeyId,
  revocationIdsOf,
  runAuthorizer,
  tokenHash,
} from "./token.js";
export type {
  Budget,
  CapabilityKind,
  CapabilitySummary,
  Decision,
  MintInput,
  NarrowSpec,
  Operation,
  Right,
  Scope,
} from "./types.js";
export { createVerifier, type Verifier, type VerifierOptions, type VerifyResult } from "./verifier.js";
export { BISCUIT_WASM_VERSION, loadBiscuit } from "./wasm-loader.js";
