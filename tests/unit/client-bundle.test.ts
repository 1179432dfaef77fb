import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { importGraph, ROOT } from "../support/import-graph";

// zod 4 probes for eval (`new Function("")`) the first time it parses an object. In the browser
// the Content-Security-Policy refuses it and reports a violation on every such page, so client
// code must not bundle zod: validation belongs to the server (actions and route handlers).
// Server actions ("use server") reach the client as references only, so the walk stops there.

const text = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");
const directive = (f: string, d: "use client" | "use server") => new RegExp(`^["']${d}["']`).test(text(f));

describe("client bundles", () => {
  it("no client component reaches zod through its imports", () => {
    const edges = importGraph().filter((e) => !e.typeOnly);
    const next = new Map<string, string[]>();
    for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    const files = [...new Set(edges.flatMap((e) => [e.from, e.to]))];
    const clients = files.filter((f) => directive(f, "use client"));
    expect(clients.length).toBeGreaterThan(20);
    const found: string[] = [];
    for (const start of clients) {
      const from = new Map<string, string>();
      const stack = [start];
      const seen = new Set<string>();
      while (stack.length > 0) {
        const f = stack.pop() as string;
        if (seen.has(f) || (f !== start && directive(f, "use server"))) continue;
        seen.add(f);
        if (/from ["']zod["']/.test(text(f))) {
          const chain = [f];
          for (let p = f; from.has(p); ) {
            p = from.get(p) as string;
            chain.unshift(p);
          }
          found.push(chain.join(" -> "));
          break;
        }
        for (const t of next.get(f) ?? []) {
          if (!from.has(t)) from.set(t, f);
          stack.push(t);
        }
      }
    }
    expect(found).toEqual([]);
  });
});
