import { z } from "zod";
import { defineTool } from "../runtime/define-tool.js";

/** A database-style table handed to the tool's factory: the only data the tool can touch. */
export interface InMemoryTable {
  name: string;
  rows: ReadonlyArray<Record<string, string | number | boolean | null>>;
}

const inputSchema = z.object({
  where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  fields: z.array(z.string().regex(/^[A-Za-z0-9_]+$/)).min(1),
  limit: z.number().int().min(1).max(1000).default(50),
});

/**
 * `db.query` over one table: the need is read on the table's resource type, the selected
 * fields, and `rows` budget equal to the limit, so a capability capped at { rows: 10 } cannot
 * run a query that may return 50 rows.
 */
export function createQueryTableTool(table: InMemoryTable) {
  return defineTool({
    name: "db.query",
    input: inputSchema,
    needs: (input) => ({
      resource: table.name,
      action: "read",
      fields: input.fields,
      use: { rows: input.limit },
    }),
    run: async (input) => {
      const matches = table.rows.filter((row) => Object.entries(input.where).every(([k, v]) => row[k] === v));
      return matches
        .slice(0, input.limit)
        .map((row) => Object.fromEntries(input.fields.map((f) => [f, row[f] ?? null])));
    },
  });
}
