import type { Clock, IssuerKeyPair, MintInput, Operation } from "../lib/capability";

/** The capability every capability benchmark measures: a research agent's customer read. */
export function benchMintInput(args: { issuer: IssuerKeyPair; clock: Clock; ttlMs: number }): MintInput {
  return {
    ...args,
    tenant: "acme",
    principal: "alice@acme.example",
    agent: "alice-assistant/research",
    session: "sess_7Hq2",
    request: "req_91ab",
    rights: [{ resource: "Customer", actions: ["read"], fields: ["name", "email", "phone"] }],
    budget: { rows: 100 },
  };
}

/** Narrowed to one customer: the second block, and the operation it allows. */
export const BENCH_NARROWING = { resource: "Customer", id: "c_381" } as const;
export const BENCH_OPERATION: Operation = {
  resource: "Customer",
  action: "read",
  id: "c_381",
  fields: ["name"],
};
