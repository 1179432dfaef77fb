import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * Finds ambient authority in tool source: anything that reaches for the environment, the
 * request, the clock, randomness or the database instead of what was passed in.
 */
export const FORBIDDEN: ReadonlyArray<{ pattern: RegExp; why: string }> = [
  { pattern: /\bprocess\s*\.\s*env\b/, why: "reads process.env" },
  { pattern: /\bprocess\s*\.\s*(argv|cwd|exit)\b/, why: "reads process state" },
  { pattern: /\bglobalThis\b/, why: "reads globalThis" },
  { pattern: /\bglobal\s*\./, why: "reads global" },
  { pattern: /["']next\/headers["']/, why: "imports next/headers" },
  { pattern: /\bcookies\s*\(/, why: "calls cookies()" },
  { pattern: /\bheaders\s*\(\s*\)/, why: "calls headers()" },
  { pattern: /\bgetServerSession\b/, why: "reads the session" },
  { pattern: /\bDate\s*\.\s*now\s*\(/, why: "reads the clock (use ctx.now())" },
  { pattern: /\bnew\s+Date\s*\(\s*\)/, why: "reads the clock (use ctx.now())" },
  { pattern: /\bperformance\s*\.\s*now\s*\(/, why: "reads the clock (use ctx.now())" },
  { pattern: /\bMath\s*\.\s*random\b/, why: "uses ambient randomness" },
  { pattern: /\bAsyncLocalStorage\b/, why: "reads async-local state" },
  { pattern: /\brequire\s*\(/, why: "loads modules dynamically" },
  { pattern: /\bimport\s*\(/, why: "loads modules dynamically" },
  {
    pattern: /from\s+["'](@\/db|@\/lib\/(db|auth|data|server)|(\.\.\/)+(db|auth|data|server))(\/[^"']*)?["']/,
    why: "imports the database or auth modules",
  },
  {
    pattern: /from\s+["'](drizzle-orm|pg|@electric-sql\/pglite|next-auth)(\/[^"']*)?["']/,
    why: "imports a database/auth package",
  },
];

/** Comments may mention the forbidden names; only code counts. */
export function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

export interface Violation {
  file: string;
  line: number;
  why: string;
  text: string;
}

export function scanSource(file: string, source: string): Violation[] {
  const violations: Violation[] = [];
  stripComments(source)
    .split("\n")
    .forEach((text, index) => {
      for (const { pattern, why } of FORBIDDEN) {
        if (pattern.test(text)) violations.push({ file, line: index + 1, why, text: text.trim() });
      }
    });
  return violations;
}

export function listModules(dir: string, exclude: (file: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return listModules(full, exclude);
    return /\.(ts|tsx|js|mjs)$/.test(name) && !exclude(full) ? [full] : [];
  });
}

export function scanTree(dir: string, exclude: (file: string) => boolean): Violation[] {
  return listModules(dir, exclude).flatMap((file) => scanSource(file, readFileSync(file, "utf8")));
}
