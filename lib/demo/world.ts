import { z } from "zod";
import type { Right } from "@/lib/capability";
import {
  type Customer,
  createLookupCustomerTool,
  createQueryTableTool,
  defineTool,
  type InMemoryTable,
} from "@/lib/tools";

// The demo's fixed cast and data. Everything the demo's agents can touch is built here and
// handed to the tools by their factories, as a real platform would.

export interface DemoPrincipal {
  email: string;
  name: string;
  tenant: "acme" | "globex";
  bot: string;
  rights: Right[];
  /** Left the company: every session revoked partway through the week. */
  leaves?: boolean;
}

const reader: Right[] = [
  { resource: "Customer", actions: ["read"], fields: ["name", "email", "tier"] },
  { resource: "Document", actions: ["read"] },
  { resource: "Order", actions: ["read"] },
];
const orderWriter: Right[] = [
  { resource: "Customer", actions: ["read"], fields: ["name", "email", "phone", "tier"] },
  { resource: "Document", actions: ["read"] },
  { resource: "Order", actions: ["read", "write"] },
];

function person(email: string, rights: Right[], extra: Partial<DemoPrincipal> = {}): DemoPrincipal {
  const [local = email, domain = ""] = email.split("@");
  const name = local.charAt(0).toUpperCase() + local.slice(1);
  return {
    email,
    name,
    tenant: domain.startsWith("globex") ? "globex" : "acme",
    bot: `${local}-assistant`,
    rights,
    ...extra,
  };
}

export const DEMO_PRINCIPALS: DemoPrincipal[] = [
  person("alice@acme.example", reader),
  person("bob@acme.example", orderWriter),
  person("carol@acme.example", orderWriter, { leaves: true }),
  person("dave@acme.example", reader),
  person("erin@acme.example", reader),
  person("frank@globex.example", orderWriter),
  person("grace@globex.example", reader),
  person("heidi@globex.example", reader),
  person("ivan@globex.example", orderWriter),
  person("judy@globex.example", reader),
];

/** A principal's agent session on a given day, as the demo data and the simulator name it. */
export function demoSession(p: DemoPrincipal, at: number): string {
  const local = p.email.split("@")[0] ?? p.email;
  return `sess_${local}_${new Date(at).toISOString().slice(5, 10).replace("-", "")}`;
}

export const SUB_AGENTS = ["research", "summarizer", "classifier"] as const;

export function customerIds(tenant: string): string[] {
  return Array.from({ length: 40 }, (_, i) => `${tenant === "acme" ? "c" : "g"}_${100 + i * 7}`);
}

export function orderIds(tenant: string): string[] {
  return Array.from({ length: 60 }, (_, i) => `${tenant === "acme" ? "o" : "go"}_${5000 + i * 13}`);
}

function customers(tenant: string): Map<string, Customer> {
  return new Map(
    customerIds(tenant).map((id, i) => [
      id,
      {
        id,
        name: `Customer ${i}`,
        email: `customer${i}@${tenant}.example`,
        phone: `+1-555-01${i}`,
        tier: "gold",
      },
    ]),
  );
}

function table(name: string, rows: InMemoryTable["rows"]): InMemoryTable {
  return { name, rows };
}

/** A tool the injected text asks for; no demo principal holds an Admin right, so it is denied. */
const grantRoleTool = defineTool({
  name: "admin.grant_role",
  input: z.object({ user: z.string().max(200), role: z.string().max(50) }),
  needs: (input) => ({ resource: "Admin", action: "grant", id: input.user, fields: ["role"] }),
  run: async (input) => ({ granted: input.role }),
});

const updateOrderTool = defineTool({
  name: "orders.update_status",
  input: z.object({ id: z.string().max(100), status: z.enum(["refunded", "shipped", "cancelled"]) }),
  needs: (input) => ({ resource: "Order", action: "write", id: input.id, fields: ["status"] }),
  run: async (input) => ({ id: input.id, status: input.status }),
});

export function demoTools(tenant: string) {
  const orders = orderIds(tenant).map((id, i) => ({ id, status: i % 3 ? "shipped" : "open", total: 20 + i }));
  const documents = Array.from({ length: 30 }, (_, i) => ({
    id: `doc_${i}`,
    title: `Brief ${i}`,
    owner: "ops",
  }));
  return {
    lookupCustomer: createLookupCustomerTool(customers(tenant)),
    queryOrders: createQueryTableTool(table("Order", orders)),
    queryDocuments: createQueryTableTool(table("Document", documents)),
    updateOrder: updateOrderTool,
    grantRole: grantRoleTool,
  };
}

export type DemoTools = ReturnType<typeof demoTools>;

/** The demo's tenants: the loader creates them, the seed gives them users and ingest keys. */
export const DEMO_TENANTS = [
  { id: "acme", name: "Acme Corp" },
  { id: "globex", name: "Globex" },
] as const;
