import fs from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { cycles, type ImportEdge, importGraph, ROOT } from "../support/import-graph";

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

// Issue 13: packages/* are published on their own, so nothing in them may reach the console: no
// "@/" alias, no path out of the package, no server-only/next/database module. A package imports
// its own files, Node's built-ins, and the dependencies its package.json declares; nothing else.

/** Every module specifier in a file: imports, re-exports, import("..."), require("..."). */
function specifiersOf(file: string, text = fs.readFileSync(file, "utf8")): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      out.push(node.moduleSpecifier.text);
    if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === "require")) &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    )
      out.push(node.arguments[0].text);
    if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    )
      out.push(node.argument.literal.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Why `spec`, imported by `file` of the package in `pkgDir`, reaches outside it; null if it does not. */
function escapeOf(pkgDir: string, deps: ReadonlySet<string>, file: string, spec: string): string | null {
  if (spec.startsWith(".")) {
    const target = path.resolve(path.dirname(file), spec);
    return target.startsWith(pkgDir + path.sep) ? null : "a path out of the package";
  }
  if (spec.startsWith("node:") || builtinModules.includes(spec)) return null;
  const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? spec);
  if (spec.startsWith("@/")) return "the console's @/ alias";
  return deps.has(name) ? null : `${name}, not a dependency of the package`;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory())
      return e.name === "node_modules" || /^dist($|\.)/.test(e.name) ? [] : sourceFiles(full);
    return /\.(ts|tsx|mts|js|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [full] : [];
  });
}

function packageEscapes(pkgDir: string, files = sourceFiles(pkgDir), read?: (f: string) => string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as {
    name: string;
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const deps = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
  return files.flatMap((file) =>
    specifiersOf(file, read?.(file)).flatMap((spec) => {
      const why = escapeOf(pkgDir, deps, file, spec);
      return why ? [`${path.relative(ROOT, file)} imports "${spec}": ${why}`] : [];
    }),
  );
}

describe("workspace packages stand alone", () => {
  const packagesDir = path.join(ROOT, "packages");
  const pkgs = fs.readdirSync(packagesDir).map((d) => path.join(packagesDir, d));

  it("finds the SDK and reads its imports", () => {
    const sdk = path.join(packagesDir, "sdk");
    expect(pkgs).toContain(sdk);
    const specs = sourceFiles(sdk).flatMap((f) => specifiersOf(f));
    expect(specs.length).toBeGreaterThan(50);
    expect(specs).toContain("@biscuit-auth/biscuit-wasm");
  });

  it("no file under packages/ imports the console (alias, relative path, server-only, next, database)", () => {
    expect(pkgs.flatMap((p) => packageEscapes(p))).toEqual([]);
  });

  it("catches planted imports of the console", () => {
    const sdk = path.join(packagesDir, "sdk");
    const file = path.join(sdk, "src", "planted.ts");
    const planted = [
      'import { db } from "@/db/client";',
      'import "server-only";',
      'import { authOptions } from "../../../lib/auth/next-auth";',
      'export { handleIngest } from "../../../lib/ingest";',
      'const m = await import("next/headers");',
      'import type { Db } from "drizzle-orm";',
      'import { z } from "zod";',
      'import { createHash } from "node:crypto";',
      'import { Capability } from "./capability/index.js";',
    ].join("\n");
    const escapes = packageEscapes(sdk, [file], () => planted);
    expect(escapes).toHaveLength(6);
    expect(escapes.join("\n")).toContain("the console's @/ alias");
    expect(escapes.join("\n")).toContain("a path out of the package");
  });
});
