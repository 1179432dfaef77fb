import type { Capability, IssuerKeyPair, MutableRevocationList } from "@/lib/capability";
import type { EscalationOperation, EscalationUseDecision, PickedUpEscalation } from "@/lib/sdk/escalations";
import type { Tool } from "@/lib/tools";
import type { RequestRun } from "./request";
import type { DemoTools } from "./world";

/**
 * The demo tool an escalated operation names, with the input the agent sends it. An operation
 * on a tool the demo platform does not have, or one pinned to an argument digest the demo cannot
 * reproduce, is not attempted (the grant then simply expires).
 */
export function escalatedCall(
  tools: DemoTools,
  op: EscalationOperation,
): { tool: Tool<unknown, unknown>; input: unknown } | { error: string } {
  if (op.argDigest)
    return { error: "the grant is pinned to an argument digest this demo platform cannot match" };
  const as = (tool: unknown, input: unknown) => ({ tool: tool as Tool<unknown, unknown>, input });
  switch (op.tool) {
    case tools.updateOrder.name:
      return as(tools.updateOrder, { id: op.resourceId, status: "refunded" });
    case tools.lookupCustomer.name:
      return as(tools.lookupCustomer, { id: op.resourceId, fields: ["name", "tier"] });
    case tools.grantRole.name:
      return as(tools.grantRole, { user: op.resourceId, role: "admin" });
    default:
      return { error: `the demo platform has no tool ${op.tool}` };
  }
}

/**
 * A request that needs an escalation: the agent's own capability (minted for the request) is
 * tried first and refused; then each use of the grant is recorded with the console before the
 * operation runs on the grant's capability. The events land in one request, so its derivation
 * graph shows the request's root and, beside it, the escalation that authorized the call.
 */
export class EscalatedRequest {
  readonly agent: string;
  private root: Capability | undefined;

  constructor(
    readonly run: RequestRun,
    readonly grant: PickedUpEscalation,
    private readonly call: { tool: Tool<unknown, unknown>; input: unknown },
  ) {
    this.agent = grant.agent ?? `${run.principal.bot}/classifier`;
  }

  /** Mints the request's capability and tries the operation with it; true when it was refused. */
  async tryOwnCapability(issuer: IssuerKeyPair, revocations: MutableRevocationList): Promise<boolean> {
    const { run } = this;
    this.root = await run.mintRoot(issuer, revocations);
    const own = await run.call(this.call.tool, this.agent, this.root, this.call.input);
    return !own.ok;
  }

  /**
   * One use: asks the console first (`decide`, e.g. the SDK's useEscalation), and runs the
   * operation on the grant's capability only when the console allowed it. A refusal is already
   * audited by the console (escalation.used, denied, with its reason), so nothing runs here.
   */
  async use(
    capability: Capability,
    decide: () => Promise<EscalationUseDecision>,
    nowMs: () => number,
  ): Promise<{ decision: EscalationUseDecision; ran?: boolean; reason?: string }> {
    const decision = await decide();
    if (!decision.allowed) return { decision };
    const res = await this.run.call(
      this.call.tool,
      this.agent,
      capability,
      this.call.input,
      { escalation: true, escalationId: this.grant.id },
      { at: nowMs() },
    );
    return { decision, ran: res.ok, ...(res.ok ? {} : { reason: res.reason }) };
  }
}
