/**
 * Capability core: Biscuit tokens for agent tool calls. Entry points are async only because
 * the wasm module loads once; everything on a Capability afterwards is synchronous.
 */
export { formatBearer, parseBearer } from "./bearer";
export type { BlockInfo, CapContext, CheckInfo } from "./block-reader";
export { Capability } from "./capability";
export { type Clock, createTestClock, systemClock, type TestClock } from "./clock";
export { CapabilityError, type CapabilityErrorCode } from "./errors";
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
} from "./keys";
export { createKeyset, type Keyset, type KeysetEntry } from "./keyset";
export { DEFAULT_ESCALATION_MAX_TTL_MS, type EscalationInput, mintCapability, mintEscalation } from "./mint";
export {
  createRevocationList,
  type MutableRevocationList,
  type RevocationList,
  revocationReason,
} from "./revocation";
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
} from "./token";
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
} from "./types";
export { createVerifier, type Verifier, type VerifierOptions, type VerifyResult } from "./verifier";
export { BISCUIT_WASM_VERSION, loadBiscuit } from "./wasm-loader";
