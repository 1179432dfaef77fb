import { z } from "zod";
import { defineTool } from "../runtime/define-tool.js";

export interface Customer {
  id: string;
  name: string;
  email: string;
  phone?: string;
  tier?: string;
}

const inputSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/),
  fields: z
    .array(z.enum(["name", "email", "phone", "tier"]))
    .min(1)
    .default(["name"]),
});

/** `crm.lookup_customer`: reads the requested fields of one customer, by id. */
export function createLookupCustomerTool(customers: ReadonlyMap<string, Customer>) {
  return defineTool({
    name: "crm.lookup_customer",
    input: inputSchema,
    needs: (input) => ({ resource: "Customer", action: "read", id: input.id, fields: input.fields }),
    run: async (input) => {
      const customer = customers.get(input.id);
      if (!customer) throw new Error(`customer ${input.id} not found`);
      return Object.fromEntries(input.fields.map((f) => [f, customer[f] ?? null]));
    },
  });
}
