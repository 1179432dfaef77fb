export { type Customer, createLookupCustomerTool } from "./examples/crm-lookup-customer.js";
export { createQueryTableTool, type InMemoryTable } from "./examples/query-table.js";
export { createSpawnSubAgentTool, type SubAgentStep } from "./examples/spawn-sub-agent.js";
export {
  type AuditSink,
  createMemorySink,
  type EventCapability,
  eventCapability,
  inputDigest,
  type MemorySink,
  newTraceId,
  type ToolCallEvent,
  uuidv7,
} from "./runtime/audit-event.js";
export {
  type CallOptions,
  defineTool,
  invokeTool,
  narrowingFor,
  type Tool,
  type ToolContext,
  type ToolDefinition,
  type ToolResult,
  type ToolRuntime,
} from "./runtime/define-tool.js";
