// An escalation's single operation in words: "write Order o_381 with crm.update_order".
// Operations are stored as JSON; unknown or missing parts are left out rather than shown raw.

export function describeOperation(op: Record<string, unknown>): string {
  const s = (k: string) => (typeof op[k] === "string" && op[k] ? (op[k] as string) : null);
  const action = s("action");
  const target = [s("resourceType"), s("resourceId")].filter(Boolean).join(" ");
  const tool = s("tool");
  const head = [action, target].filter(Boolean).join(" ");
  const withTool = tool ? (head ? `${head} with ${tool}` : `call ${tool}`) : head;
  const digest = s("argDigest");
  return `${withTool || "an operation"}${digest ? " (these arguments only)" : ""}`;
}
