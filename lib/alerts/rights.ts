// "Wider than its parent": a right of the child that no right of the parent covers. Rights are
// lib/capability's { resource, actions, ids?, fields? } (absent ids or fields: all of them).
interface RightLike {
  resource: string;
  actions: string[];
  ids?: string[];
  fields?: string[];
}

function rightsOf(summary: Record<string, unknown> | null | undefined): RightLike[] {
  const rights = summary?.rights;
  if (!Array.isArray(rights)) return [];
  return rights.filter(
    (r): r is RightLike =>
      !!r &&
      typeof r === "object" &&
      typeof (r as RightLike).resource === "string" &&
      Array.isArray((r as RightLike).actions),
  );
}

const within = (child: string[] | undefined, parent: string[] | undefined) =>
  parent === undefined || (child?.every((x) => parent.includes(x)) ?? false);

function covers(parent: RightLike, resource: string, action: string, child: RightLike): boolean {
  return (
    (parent.resource === resource || parent.resource === "*") &&
    (parent.actions.includes(action) || parent.actions.includes("*")) &&
    within(child.ids, parent.ids) &&
    within(child.fields, parent.fields)
  );
}

/** The first child right (as "action:resource") its parent does not grant, or null. */
export function widerRight(
  child: Record<string, unknown> | null | undefined,
  parent: Record<string, unknown> | null | undefined,
): string | null {
  const parentRights = rightsOf(parent);
  for (const r of rightsOf(child))
    for (const action of r.actions)
      if (!parentRights.some((p) => covers(p, r.resource, action, r)))
        return `${action}:${r.resource}${r.ids ? `/${r.ids.join(",")}` : ""}${r.fields ? `#${r.fields.join(",")}` : ""}`;
  return null;
}
