/** The console's wire formats: the v1 event and every /api/v1 request and answer, as zod schemas. */
export * from "./event.js";
export * from "./gateway.js";
export { looksLikeRawToken, type TextKind, textProblem } from "./text-rules.js";
export * from "./wire.js";
