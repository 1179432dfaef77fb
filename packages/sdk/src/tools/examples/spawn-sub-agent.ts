import { z } from "zod";
import { defineTool, type Tool, type ToolResult } from "../runtime/define-tool.js";

const name = z.string().regex(/^[A-Za-z0-9_.:@/+-]{1,200}$/);

const inputSchema = z.object({
  agent: name,
  /** The authority the sub-agent gets: one resource/action, optionally one id and fields. */
  delegate: z.object({
    resource: name,
    action: name,
    id: name.optional(),
    fields: z.array(name).min(1).optional(),
  }),
  ttlMs: z.number().int().min(1).max(3_600_000).default(60_000),
  steps: z.array(z.object({ tool: z.string(), input: z.unknown() })).max(20),
});

export interface SubAgentStep {
  tool: string;
  ok: boolean;
  outcome: "allowed" | "denied" | "error";
  value?: unknown;
  reason?: string;
}

/**
 * `agent.spawn`: runs a scripted sub-agent with a capability narrowed to `delegate` and a
 * shorter expiry. The sub-agent's steps call tools from the fixed set given to the factory;
 * each step narrows further to what that tool declares, so a step outside the delegation is
 * denied even if the parent could have done it.
 */
export function createSpawnSubAgentTool(tools: ReadonlyMap<string, Tool<unknown, unknown>>) {
  return defineTool({
    name: "agent.spawn",
    input: inputSchema,
    needs: (input) => {
      const need: { resource: string; action: string; id?: string; fields?: string[] } = {
        resource: input.delegate.resource,
        action: input.delegate.action,
      };
      if (input.delegate.id) need.id = input.delegate.id;
      if (input.delegate.fields) need.fields = input.delegate.fields;
      return need;
    },
    run: async (input, capability, ctx) => {
      const subCapability = capability.narrowTo({
        resource: input.delegate.resource,
        action: input.delegate.action,
        id: input.delegate.id,
        fields: input.delegate.fields,
        ttlMs: input.ttlMs,
      });
      const results: SubAgentStep[] = [];
      for (const step of input.steps) {
        const tool = tools.get(step.tool);
        if (!tool) {
          results.push({ tool: step.tool, ok: false, outcome: "error", reason: "unknown tool" });
          continue;
        }
        const result: ToolResult<unknown> = await ctx.call(tool, step.input, {
          capability: subCapability,
          meta: { subAgent: input.agent },
        });
        results.push(
          result.ok
            ? { tool: step.tool, ok: true, outcome: "allowed", value: result.value }
            : { tool: step.tool, ok: false, outcome: result.outcome, reason: result.reason },
        );
      }
      return { agent: input.agent, capabilityId: subCapability.id, results };
    },
  });
}
