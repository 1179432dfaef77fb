import "server-only";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { GatewayConfigResponse, GatewayRule } from "@capability-console/sdk/schema";
import { and, asc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "@/db/client";
import {
  GATEWAY_SUBJECT_KINDS,
  type GatewayClientRow,
  type GatewayRuleRow,
  gatewayClients,
  gatewayRules,
  tenants as tenantsTable,
} from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { type Authority, assertTenantsInScope, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { lockRowInScope, tenantOfRow } from "./tenant-lookup";

// The console side of the MCP capability gateway (issue 14, docs/gateway.md, "Console side"): the
// credentials agents present to the gateway, the tenant's allow rules for tools, and the one
// document the gateway polls (GET /api/v1/gateway/config). Escalation requests are in
// gateway-requests.ts.

const NAME = /^[A-Za-z0-9_.:@/+-]{1,200}$/;
const name = (label: string) =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .min(1, { error: `${label} is required.` })
    .max(200, { error: `Keep the ${label.toLowerCase()} under 200 characters.` })
    .regex(NAME, { error: `${label} may use letters, digits and _ . : @ / + - only.` });
const tenant = z.string({ error: "Pick a tenant." }).trim().min(1, { error: "Pick a tenant." }).max(64);

/** "ops, oncall" or ["ops", "oncall"]: a list of distinct names. */
const groupList = z.preprocess(
  (v) => {
    const list = typeof v === "string" ? v.split(/[\s,]+/) : Array.isArray(v) ? v : [];
    return [...new Set(list.map((g) => String(g).trim()).filter((g) => g !== ""))];
  },
  z.array(name("Each group")).max(20, { error: "At most 20 groups." }),
);

export const issueGatewayClientSchema = z.object({
  tenant,
  name: z
    .string({ error: "Name the client." })
    .trim()
    .min(1, { error: "Name the client, e.g. support bot on laptop 12." })
    .max(200, { error: "Keep the name under 200 characters." }),
  principal: name("Principal"),
  agent: name("Agent"),
  groups: groupList,
});
export type IssueGatewayClientInput = z.output<typeof issueGatewayClientSchema>;

export const gatewayIdSchema = z.object({ id: z.uuid({ error: "Unknown id." }) });

const argumentRule = z.object({
  path: z
    .string({ error: "Argument path is required." })
    .trim()
    .min(1, { error: "Argument path is required." })
    .max(200, { error: "Keep the argument path under 200 characters." })
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
      error: "Argument path: a dotted path into the arguments, e.g. path or options.mode.",
    }),
  match: z
    .string({ error: "Argument pattern is required." })
    .min(1, { error: "Argument pattern is required." })
    .max(500, { error: "Keep the argument pattern under 500 characters." }),
});

const ruleFields = z.object({
  tenant,
  subjectKind: z.enum(GATEWAY_SUBJECT_KINDS, { error: "Pick who the rule is for." }),
  subjectValue: z.string().trim().max(200).optional(),
  tool: z
    .string({ error: "Tool is required." })
    .trim()
    .min(1, { error: "Tool is required." })
    .max(200, { error: "Keep the tool pattern under 200 characters." })
    .regex(/^[A-Za-z0-9_.\-/]+\*?$/, {
      error: "Tool: an exposed tool name like fs.read_file, or a prefix ending in *, like fs.*",
    }),
  arguments: z.array(argumentRule).max(10, { error: "At most 10 argument rules." }).default([]),
  note: z.string().trim().max(500, { error: "Keep the note under 500 characters." }).default(""),
});

/** Whom a rule is for: everyone ("any", no value) or one agent, group or principal (a name). */
function checkSubject(v: z.output<typeof ruleFields>, ctx: z.RefinementCtx): void {
  if (v.subjectKind === "any") return;
  const value = v.subjectValue ?? "";
  if (!NAME.test(value))
    ctx.addIssue({
      code: "custom",
      path: ["subjectValue"],
      message:
        value === ""
          ? `Name the ${v.subjectKind} the rule is for.`
          : "Who may use letters, digits and _ . : @ / + - only.",
    });
}

export const gatewayRuleInputSchema = ruleFields.superRefine(checkSubject);
export type GatewayRuleInput = z.output<typeof gatewayRuleInputSchema>;
export const updateGatewayRuleSchema = ruleFields
  .omit({ tenant: true })
  .extend({ id: z.uuid({ error: "Unknown rule." }) })
  .superRefine((v, ctx) => checkSubject({ ...v, tenant: "" }, ctx));
export type UpdateGatewayRuleInput = z.output<typeof updateGatewayRuleSchema>;

// ---- credentials ---------------------------------------------------------------------------

const CREDENTIAL_PREFIX = "gwc_";

/** 256 random bits: `gwc_` and 43 base64url characters. Shown once, stored as its sha256. */
export function generateGatewayCredential(): string {
  return `${CREDENTIAL_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export const hashGatewayCredential = (credential: string) =>
  createHash("sha256").update(credential, "utf8").digest("hex");

// ---- clients -------------------------------------------------------------------------------

export type GatewayClientView = Omit<GatewayClientRow, "credentialHash">;

const clientColumns = {
  tenant: gatewayClients.tenant,
  id: gatewayClients.id,
  name: gatewayClients.name,
  principal: gatewayClients.principal,
  agent: gatewayClients.agent,
  groups: gatewayClients.groups,
  prefix: gatewayClients.prefix,
  createdBy: gatewayClients.createdBy,
  createdAt: gatewayClients.createdAt,
  revokedAt: gatewayClients.revokedAt,
  revokedBy: gatewayClients.revokedBy,
};

/** The gateway clients of the tenants in view: never a credential or its hash. */
export async function listGatewayClients(db: Db, authority: Authority): Promise<GatewayClientView[]> {
  assertCan(authority, "gateway.read");
  return db
    .select(clientColumns)
    .from(gatewayClients)
    .where(inArray(gatewayClients.tenant, tenantsInView(authority)))
    .orderBy(asc(gatewayClients.tenant), asc(gatewayClients.name), asc(gatewayClients.createdAt));
}

async function assertTenantExists(tx: Executor, id: string): Promise<void> {
  const [row] = await tx.select({ id: tenantsTable.id }).from(tenantsTable).where(eq(tenantsTable.id, id));
  if (!row) throw new NotFoundError("Unknown tenant.");
}

/**
 * A new credential for one principal and agent of a tenant. The credential is in this answer
 * only; the database keeps its sha256 and a prefix to recognise it by.
 */
export async function issueGatewayClient(
  db: Db,
  authority: Authority,
  input: IssueGatewayClientInput,
): Promise<{ id: string; credential: string; prefix: string; tenant: string; name: string }> {
  assertCan(authority, "gateway.manage");
  assertTenantsInScope(authority, [input.tenant]);
  const credential = generateGatewayCredential();
  const id = randomUUID();
  const prefix = credential.slice(0, CREDENTIAL_PREFIX.length + 6);
  await db.transaction(async (tx) => {
    await assertTenantExists(tx, input.tenant);
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.gateway.client_issued",
        tenants: [input.tenant],
        resource: { type: "GatewayClient", id },
        meta: {
          name: input.name,
          principal: input.principal,
          agent: input.agent,
          groups: input.groups,
          prefix,
        },
      }),
    );
    await tx.insert(gatewayClients).values({
      tenant: input.tenant,
      id,
      name: input.name,
      principal: input.principal,
      agent: input.agent,
      groups: input.groups,
      credentialHash: hashGatewayCredential(credential),
      prefix,
      createdBy: authority.email,
    });
  });
  return { id, credential, prefix, tenant: input.tenant, name: input.name };
}

/** The gateway refuses the credential from its next config poll (within a second). */
export async function revokeGatewayClient(
  db: Db,
  authority: Authority,
  input: z.output<typeof gatewayIdSchema>,
): Promise<void> {
  assertCan(authority, "gateway.manage");
  await db.transaction(async (tx) => {
    // Another tenant's client is "unknown", as one that does not exist.
    const match = eq(gatewayClients.id, input.id);
    const tenant = await tenantOfRow(tx, {
      table: gatewayClients,
      tenants: authority.tenants,
      match,
      what: "gateway client",
    });
    if (!tenant) throw new NotFoundError("Unknown gateway client.");
    const [row] = await tx
      .select(clientColumns)
      .from(gatewayClients)
      .where(and(eq(gatewayClients.tenant, tenant), match))
      .for("update");
    if (!row) throw new NotFoundError("Unknown gateway client.");
    if (row.revokedAt) throw new ConflictError("This client is already revoked.");
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.gateway.client_revoked",
        tenants: [row.tenant],
        resource: { type: "GatewayClient", id: row.id },
        meta: { name: row.name, principal: row.principal, agent: row.agent, prefix: row.prefix },
      }),
    );
    await tx
      .update(gatewayClients)
      .set({ revokedAt: new Date(), revokedBy: authority.email })
      .where(and(eq(gatewayClients.tenant, row.tenant), eq(gatewayClients.id, row.id)));
  });
}

// ---- rules ---------------------------------------------------------------------------------

/** A rule as the gateway reads it (the SDK's GatewayRule). */
export function ruleToWire(r: GatewayRuleRow): GatewayRule {
  return {
    id: r.id,
    subject: r.subjectKind === "any" ? { kind: "any" } : { kind: r.subjectKind, value: r.subjectValue ?? "" },
    tool: r.tool,
    arguments: r.arguments.map((a) => ({ path: a.path, match: a.match })),
    note: r.note,
  };
}

export async function listGatewayRules(db: Db, authority: Authority): Promise<GatewayRuleRow[]> {
  assertCan(authority, "gateway.read");
  return db
    .select()
    .from(gatewayRules)
    .where(inArray(gatewayRules.tenant, tenantsInView(authority)))
    .orderBy(asc(gatewayRules.tenant), asc(gatewayRules.tool), asc(gatewayRules.createdAt));
}

const ruleValues = (input: Omit<GatewayRuleInput, "tenant">) => ({
  subjectKind: input.subjectKind,
  subjectValue: input.subjectKind === "any" ? null : (input.subjectValue ?? null),
  tool: input.tool,
  arguments: input.arguments,
  note: input.note,
});

export async function addGatewayRule(
  db: Db,
  authority: Authority,
  input: GatewayRuleInput,
): Promise<{ id: string }> {
  assertCan(authority, "gateway.manage");
  assertTenantsInScope(authority, [input.tenant]);
  const id = randomUUID();
  const values = { tenant: input.tenant, id, ...ruleValues(input), createdBy: authority.email };
  await db.transaction(async (tx) => {
    await assertTenantExists(tx, input.tenant);
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.gateway.rule_added",
        tenants: [input.tenant],
        resource: { type: "GatewayRule", id },
        meta: { rule: ruleToWire({ ...values, createdAt: new Date(), updatedAt: null, updatedBy: null }) },
      }),
    );
    await tx.insert(gatewayRules).values(values);
  });
  return { id };
}

async function lockRule(tx: Executor, authority: Authority, id: string): Promise<GatewayRuleRow> {
  const match = eq(gatewayRules.id, id);
  const row = await lockRowInScope(tx, {
    table: gatewayRules,
    tenants: authority.tenants,
    match,
    what: "gateway rule",
    unknown: "Unknown gateway rule.",
  });
  return row;
}

/** Changes a rule in place (its tenant stays); the event keeps the rule before and after. */
export async function updateGatewayRule(
  db: Db,
  authority: Authority,
  input: UpdateGatewayRuleInput,
): Promise<void> {
  assertCan(authority, "gateway.manage");
  await db.transaction(async (tx) => {
    const before = await lockRule(tx, authority, input.id);
    const after = { ...before, ...ruleValues(input), updatedBy: authority.email, updatedAt: new Date() };
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.gateway.rule_changed",
        tenants: [before.tenant],
        resource: { type: "GatewayRule", id: before.id },
        meta: { before: ruleToWire(before), after: ruleToWire(after) },
      }),
    );
    await tx
      .update(gatewayRules)
      .set({ ...ruleValues(input), updatedBy: authority.email, updatedAt: after.updatedAt })
      .where(and(eq(gatewayRules.tenant, before.tenant), eq(gatewayRules.id, before.id)));
  });
}

export async function deleteGatewayRule(
  db: Db,
  authority: Authority,
  input: z.output<typeof gatewayIdSchema>,
): Promise<void> {
  assertCan(authority, "gateway.manage");
  await db.transaction(async (tx) => {
    const row = await lockRule(tx, authority, input.id);
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.gateway.rule_deleted",
        tenants: [row.tenant],
        resource: { type: "GatewayRule", id: row.id },
        meta: { rule: ruleToWire(row) },
      }),
    );
    await tx
      .delete(gatewayRules)
      .where(and(eq(gatewayRules.tenant, row.tenant), eq(gatewayRules.id, row.id)));
  });
}

// ---- the gateway's config document -----------------------------------------------------------

/**
 * Everything one tenant's gateway needs, for the API key's tenant: clients (revoked ones too,
 * so the gateway can say "credential revoked") and rules. `version` is a digest of the content,
 * so it changes with any change of a client or rule and with nothing else.
 */
export async function getGatewayConfig(
  db: Executor,
  scope: { tenant: string },
): Promise<GatewayConfigResponse> {
  const [clients, rules] = await Promise.all([
    db
      .select()
      .from(gatewayClients)
      .where(eq(gatewayClients.tenant, scope.tenant))
      .orderBy(asc(gatewayClients.id)),
    db.select().from(gatewayRules).where(eq(gatewayRules.tenant, scope.tenant)).orderBy(asc(gatewayRules.id)),
  ]);
  const body = {
    clients: clients.map((c) => ({
      id: c.id,
      name: c.name,
      principal: c.principal,
      agent: c.agent,
      groups: c.groups,
      credentialSha256: c.credentialHash,
      revoked: c.revokedAt !== null,
    })),
    rules: rules.map(ruleToWire),
  };
  const version = createHash("sha256").update(JSON.stringify(body)).digest("hex").slice(0, 32);
  return { tenant: scope.tenant, version, ...body };
}
