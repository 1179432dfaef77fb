export { jsonDepthExceeds, parseJsonBytes, readLimited } from "./body";
export { eventSchema, type IngestEvent, LIMITS } from "./event-schema";
export { handleIngest, type IngestOptions } from "./handler";
export { inputDigest, inputDigestKey, inputDigestMatches } from "./input-digest";
export { createRateLimiter, DEFAULT_RATE, type RateLimiter } from "./rate-limit";
export { type ItemStatus, type StoreResult, storeBatch } from "./store";
export { type ItemError, validateBatch } from "./validate";
