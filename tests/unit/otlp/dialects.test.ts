import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { mapSpans, type ObservedEvent } from "@/lib/otlp/dialects";
import { decodeTracesJson } from "@/lib/otlp/json";

const fixture = (name: string) =>
  decodeTracesJson(
    JSON.parse(
      fs.readFileSync(path.join(import.meta.dirname, "../../fixtures/otlp", `${name}.json`), "utf8"),
    ),
  );

/** The fields an investigator sees, in a stable order. */
const brief = (e: ObservedEvent) => ({
  type: e.type,
  dialect: e.dialect,
  tool: e.tool,
  principal: e.principal,
  agent: e.agent,
  session: e.session,
  outcome: e.outcome,
  reason: e.reason,
  capability: e.capability?.id ?? null,
  latencyMs: e.latencyMs,
});

describe("recorded spans of each dialect become observed events", () => {
  it("GenAI conventions (OpenAI Agents SDK): agent, tool calls covered or not, a guardrail deny; model calls ignored", () => {
    const { spans, rejected } = fixture("genai-openai-agents");
    expect(rejected).toEqual([]);
    const { events, ignored } = mapSpans(spans);
    expect(ignored).toBe(1);
    expect(events.map(brief)).toEqual([
      {
        type: "agent.invoked",
        dialect: "genai",
        tool: null,
        principal: "alice@acme.example",
        agent: "triage",
        session: "conv_7Hq2",
        outcome: "allowed",
        reason: null,
        capability: null,
        latencyMs: 900,
      },
      {
        type: "tool.call",
        dialect: "genai",
        tool: "crm.lookup_customer",
        principal: "alice@acme.example",
        agent: "triage",
        session: "conv_7Hq2",
        outcome: "allowed",
        reason: null,
        capability: "9f1c0a",
        latencyMs: 42,
      },
      {
        type: "tool.call",
        dialect: "genai",
        tool: "crm.export",
        principal: "alice@acme.example",
        agent: "triage",
        session: "conv_7Hq2",
        outcome: "allowed",
        reason: null,
        capability: null,
        latencyMs: 8,
      },
      {
        type: "guardrail.checked",
        dialect: "genai",
        tool: null,
        principal: "alice@acme.example",
        agent: "support-agents",
        session: "conv_7Hq2",
        outcome: "denied",
        reason: "output contains an SSN",
        capability: null,
        latencyMs: 5,
      },
      {
        type: "tool.call",
        dialect: "genai",
        tool: "orders.update_status",
        principal: "alice@acme.example",
        agent: "triage",
        session: "conv_7Hq2",
        outcome: "denied",
        reason: "no write right on Order (check in block 1)",
        capability: "9f1c0b",
        latencyMs: 3,
      },
    ]);
    const covered = events.find((e) => e.tool === "crm.lookup_customer");
    expect(covered?.capability).toEqual({
      id: "9f1c0a",
      parentId: "77aa01",
      hash: `sha256:${"5e".repeat(32)}`,
    });
    expect(covered?.request).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(covered?.toolCallId).toBe("call_Q1");
    expect(covered?.ts.toISOString()).toBe("2026-11-26T10:30:00.320Z");
  });

  it("MCP tools/call: the client span under execute_tool is one call, not two; a tool error is an error", () => {
    const { events, ignored } = mapSpans(fixture("mcp-tools-call").spans);
    expect(ignored).toBe(1);
    expect(events.map(brief)).toEqual([
      // execute_tool and its MCP client span are one call; the capability came from the MCP span.
      {
        type: "tool.call",
        dialect: "genai",
        tool: "weather.get_forecast",
        principal: "bob@acme.example",
        agent: "desk-assistant",
        session: null,
        outcome: "allowed",
        reason: null,
        capability: "c0ffee01",
        latencyMs: 120,
      },
      {
        type: "tool.call",
        dialect: "mcp",
        tool: "files.delete",
        principal: "bob@acme.example",
        agent: "claude-desktop",
        session: "mcp-sess-42",
        outcome: "error",
        reason: "permission denied: /etc",
        capability: null,
        latencyMs: 15,
      },
    ]);
  });

  it("Vercel AI SDK: ai.toolCall with the user and session from telemetry metadata", () => {
    const { events, ignored } = mapSpans(fixture("vercel-ai-sdk").spans);
    expect(ignored).toBe(2);
    expect(events.map(brief)).toEqual([
      {
        type: "tool.call",
        dialect: "vercel-ai",
        tool: "kb.search",
        principal: "carol@globex.example",
        agent: "support-chat",
        session: "chat_311",
        outcome: "allowed",
        reason: null,
        capability: null,
        latencyMs: 64,
      },
    ]);
    expect(events[0]?.toolCallId).toBe("call_v1");
  });

  it("OpenInference (LangGraph): AGENT and TOOL spans; LLM spans ignored", () => {
    const { events, ignored } = mapSpans(fixture("openinference-langgraph").spans);
    expect(ignored).toBe(1);
    expect(events.map(brief)).toEqual([
      {
        type: "agent.invoked",
        dialect: "openinference",
        tool: null,
        principal: "dave@acme.example",
        agent: "research_agent",
        session: "thread-9",
        outcome: "allowed",
        reason: null,
        capability: null,
        latencyMs: 2000,
      },
      {
        type: "tool.call",
        dialect: "openinference",
        tool: "web.search",
        principal: "dave@acme.example",
        agent: "langgraph-research",
        session: "thread-9",
        outcome: "allowed",
        reason: null,
        capability: "0d0d01",
        latencyMs: 800,
      },
      {
        type: "tool.call",
        dialect: "openinference",
        tool: "db.query",
        principal: "dave@acme.example",
        agent: "langgraph-research",
        session: "thread-9",
        outcome: "error",
        reason: "statement timeout",
        capability: null,
        latencyMs: 30,
      },
    ]);
  });
});
