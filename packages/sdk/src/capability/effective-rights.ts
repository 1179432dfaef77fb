import type { BlockInfo } from "./block-reader.js";
import type { Right, Scope } from "./types.js";

function intersect(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a.filter((v) => b.includes(v));
}

function narrowRight(right: Right, scope: Scope): Right | undefined {
  if (scope.resources && !scope.resources.includes(right.resource)) return undefined;
  const actions = intersect(right.actions, scope.actions) ?? [];
  const ids = intersect(right.ids, scope.ids);
  const fields = intersect(right.fields, scope.fields);
  if (actions.length === 0 || ids?.length === 0 || fields?.length === 0) return undefined;
  const out: Right = { resource: right.resource, actions };
  if (ids) out.ids = ids;
  if (fields) out.fields = fields;
  return out;
}

function key(right: Right): string {
  return JSON.stringify([right.resource, right.actions, right.ids ?? null, right.fields ?? null]);
}

/**
 * The rights that survive every scope check: block 0's rights intersected with each block's
 * alternatives. What the summary shows; the datalog engine remains the one that decides.
 */
export function effectiveRights(blocks: readonly BlockInfo[]): Right[] {
  let rights = blocks[0]?.rights ?? [];
  for (const block of blocks.slice(1)) {
    for (const check of block.checks) {
      if (check.kind !== "scope") continue;
      const next = new Map<string, Right>();
      for (const right of rights) {
        for (const scope of check.scopes) {
          const narrowed = narrowRight(right, scope);
          if (narrowed) next.set(key(narrowed), narrowed);
        }
      }
      rights = [...next.values()];
    }
  }
  return rights;
}
