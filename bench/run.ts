import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { BenchGroup, BenchResult } from "./harness";

/**
 * `npm run bench` runs every group in bench/groups except the long ones (onlyWhenNamed);
 * `npm run bench -- NAME [NAME...]` runs those named. A group is a module whose default export is a BenchGroup: adding bench/groups/ingest.ts
 * is all it takes to register one. Writes bench/results/latest.json; exits 1 if a target fails.
 */
const here = import.meta.dirname;

async function loadGroups(): Promise<BenchGroup[]> {
  const dir = path.join(here, "groups");
  const files = readdirSync(dir)
    .filter((f) => /\.(ts|js|mjs)$/.test(f) && !f.endsWith(".d.ts"))
    .sort();
  const groups: BenchGroup[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: BenchGroup };
    if (mod.default?.name && typeof mod.default.run === "function") groups.push(mod.default);
  }
  return groups;
}

function table(results: BenchResult[]): string {
  const header = ["group", "name", "value", "baseline", "ratio", "target", "pass"];
  const rows = results.map((r) => [
    r.group,
    r.name,
    `${r.value} ${r.unit}`,
    r.baseline === null ? "-" : `${r.baseline} ${r.unit}`,
    r.ratio === null ? "-" : r.ratio.toFixed(2),
    r.target ?? "-",
    r.target === null ? "info" : r.pass ? "PASS" : "FAIL",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

async function main(): Promise<number> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const all = await loadGroups();
  const unknown = wanted.filter((w) => !all.some((g) => g.name === w));
  if (unknown.length > 0) {
    console.error(
      `unknown bench group(s): ${unknown.join(", ")}; known: ${all.map((g) => g.name).join(", ")}`,
    );
    return 2;
  }
  // A group that runs for an hour or more (scale) runs only when named.
  const selected =
    wanted.length > 0 ? all.filter((g) => wanted.includes(g.name)) : all.filter((g) => !g.onlyWhenNamed);
  const skipped = all.filter((g) => g.onlyWhenNamed && !selected.includes(g));
  if (skipped.length > 0)
    console.log(
      `not running ${skipped.map((g) => g.name).join(", ")} (long; name it to run it: npm run bench -- ${skipped[0]?.name})`,
    );
  const results: BenchResult[] = [];
  for (const group of selected) {
    console.log(`running ${group.name}: ${group.description}`);
    results.push(...(await group.run()));
  }
  console.log(`\n${table(results)}\n`);
  const outDir = path.join(here, "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  const failed = results.filter((r) => !r.pass);
  if (failed.length > 0) {
    console.log(`${failed.length} target(s) missed: ${failed.map((r) => `${r.group}/${r.name}`).join("; ")}`);
    return 1;
  }
  console.log("all targets met");
  return 0;
}

process.exitCode = await main();
