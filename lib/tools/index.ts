export { type Customer, createLookupCustomerTool } from "./examples/crm-lookup-customer";
export { createQueryTableTool, type InMemoryTable } from "./examples/query-table";
export { createSpawnSubAgentTool, type SubAgentStep } from "./examples/spawn-sub-agent";
export {
  type AuditSink,
  createMemorySink,
  type EventCapability,
  inputDigest,
  type MemorySink,
  type ToolCallEvent,
  uuidv7,
} from "./runtime/audit-event";
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
} from "./runtime/define-tool";
