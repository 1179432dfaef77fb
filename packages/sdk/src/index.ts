/**
 * @capability-console/sdk: capability tokens for agent tool calls, the tool wrapper that
 * authorizes and records every call, the console's wire formats, and the client that sends
 * events to a console and follows its revocations. Subpaths: ./capability, ./tools, ./schema,
 * ./client.
 */
export { canonicalJson } from "./canonical-json.js";
export * from "./capability/index.js";
export * from "./client/index.js";
export { uuidv7 } from "./ids.js";
export * from "./schema/index.js";
export * from "./tools/index.js";
