import { describe, expect, it } from "vitest";
import { cycles, type ImportEdge, importGraph } from "../support/import-graph";

// Issue 11: imports run down the layers, app → components → lib/data → lib/* → db, and
// nothing imports in a circle. A lower layer never imports a route's action, the guard never
// imports lib/data back, and db/ never reaches up into lib/ (the demo seed is a script).

/**
 * Request adapters: they turn a request (HTTP, next-auth, a server action) into data-layer
 * calls, so they sit above lib/data although they live in lib/. Named one by one on purpose:
 * a new file in lib/ is domain code until someone decides otherwise here.
 */
const ADAPTERS = [
  /^lib\/actions\//,
  /^lib\/api\//,
  /^lib\/ingest\/handler\.ts$/,
  // The ingest barrel re-exports the handler for the route.
  /^lib\/ingest\/index\.ts$/,
  // POST /api/v1/otlp/v1/traces, framework-free like the ingest handler (issue 13).
  /^lib\/otlp\/handler\.ts$/,
  /^lib\/auth\/next-auth\.ts$/,
  // The demo loader plays the demo's admin: its revocations go through the console's own functions.
  /^lib\/demo\/load\.ts$/,
  // Evidence bundles: the export route's request handling over lib/data's explorer query.
  /^lib\/evidence\/bundle\.ts$/,
];

/** Lower number = higher layer. scripts may use anything below app. */
function layerOf(file: string): number {
  if (file.startsWith("scripts/")) return 0;
  if (file.startsWith("app/")) return 0;
  if (file.startsWith("components/")) return 1;
  if (ADAPTERS.some((re) => re.test(file))) return 2;
  if (file.startsWith("lib/data/")) return 3;
  if (file.startsWith("lib/")) return 4;
  if (file.startsWith("db/")) return 5;
  return -1;
}

const NAMES = ["app", "components", "adapters (lib/actions, lib/api, …)", "lib/data", "lib/*", "db"];

function upwardImports(edges: readonly ImportEdge[]): string[] {
  return edges
    .filter((e) => {
      if (e.to.startsWith("app/")) return !e.from.startsWith("app/");
      const from = layerOf(e.from);
      const to = layerOf(e.to);
      return from >= 0 && to >= 0 && to < from;
    })
    .map((e) => `${e.from} (${NAMES[layerOf(e.from)]}) → ${e.to} (${NAMES[layerOf(e.to)]})`);
}

describe("import layers", () => {
  const edges = importGraph();

  it("reads the project's imports (the walker finds the known edges)", () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual(
      expect.objectContaining({ from: "lib/data/revocations.ts", to: "lib/auth/authority.ts" }),
    );
  });

  it("has no import cycle, not even through type-only imports", () => {
    expect(cycles(edges)).toEqual([]);
  });

  it("has no upward import (db → lib, lib → app, components → a route's action, guard → lib/data)", () => {
    expect(upwardImports(edges)).toEqual([]);
  });

  it("catches a cycle and an upward import when one appears", () => {
    const planted: ImportEdge[] = [
      { from: "lib/auth/guard.ts", to: "lib/data/console-sessions.ts", typeOnly: false },
      { from: "lib/data/console-sessions.ts", to: "lib/auth/guard.ts", typeOnly: false },
      { from: "components/shell/user-menu.tsx", to: "app/(console)/actions.ts", typeOnly: false },
      { from: "db/seed.ts", to: "lib/data/console-users.ts", typeOnly: true },
    ];
    expect(cycles(planted)).toEqual([["lib/auth/guard.ts", "lib/data/console-sessions.ts"]]);
    expect(upwardImports(planted)).toHaveLength(3);
  });
});
