import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = {
  "@": path.resolve(import.meta.dirname),
  "server-only": path.resolve(import.meta.dirname, "tests/support/server-only.ts"),
};

// Tests run the SDK's sources (packages/sdk/src), not its built dist/: the package's exports map
// names them under this condition, as tsconfig.json's customConditions does for type checks.
// Setting conditions replaces the defaults, so Vitest's own for Node follow it (Vite's server
// conditions without "module": packages' ESM-for-bundlers builds are not for Node).
const conditions = ["capability-console-source", "node", "development|production"];
const resolve = { alias, conditions };
const ssr = { resolve: { conditions } };

export default defineConfig({
  resolve,
  ssr,
  test: {
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Each file opens its own databases; two cores, so keep it modest.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
