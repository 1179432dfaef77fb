// Links from a summary to the events behind it: the explorer with a query of summary-level keys
// only (principal, agent, tool, resource, action, outcome, type, after, before), so a viewer's
// drill-down is a query the explorer accepts for viewers too.

/** A query value, quoted when it holds anything beyond the plain characters of names. */
export function term(key: string, value: string): string {
  return /^[\w.@/#:-]+$/.test(value) ? `${key}:${value}` : `${key}:"${value.replaceAll('"', "")}"`;
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** /events?q=principal:… type:tool.call … after:DAY before:NEXT&range=all */
export function dayEventsHref(args: {
  principal: string;
  day: string;
  terms?: Record<string, string>;
  outcome?: "allowed" | "denied" | "error";
}): string {
  const parts = [term("principal", args.principal), "type:tool.call"];
  for (const [k, v] of Object.entries(args.terms ?? {})) parts.push(term(k, v));
  if (args.outcome) parts.push(`outcome:${args.outcome}`);
  parts.push(`after:${args.day}`, `before:${nextDay(args.day)}`);
  return `/events?${new URLSearchParams({ q: parts.join(" "), range: "all" }).toString()}`;
}
