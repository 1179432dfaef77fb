"use server";

import { defineAction, defineFormAction, type FormState } from "@/lib/actions/pipeline";
import {
  addGatewayRule,
  deleteGatewayRule,
  gatewayIdSchema,
  gatewayRuleInputSchema,
  issueGatewayClient,
  issueGatewayClientSchema,
  revokeGatewayClient,
  updateGatewayRule,
  updateGatewayRuleSchema,
} from "@/lib/data/gateway";

// The /gateway page's writes (issue 14). Every data function checks gateway.manage and the
// tenant itself and writes its console.gateway.* event in the same transaction.

export interface IssueGatewayClientValues {
  tenant: string;
  name: string;
  principal: string;
  agent: string;
  groups: string;
}

/** On success the credential, once: the page shows it and it is never retrievable again. */
export type IssueGatewayClientState = FormState<
  { id: string; credential: string; tenant: string; name: string },
  IssueGatewayClientValues
>;

export const issueGatewayClientAction = defineFormAction({
  permission: "gateway.manage",
  schema: issueGatewayClientSchema,
  what: "issue the gateway client",
  values: (form): IssueGatewayClientValues => ({
    tenant: String(form.get("tenant") ?? ""),
    name: String(form.get("name") ?? ""),
    principal: String(form.get("principal") ?? ""),
    agent: String(form.get("agent") ?? ""),
    groups: String(form.get("groups") ?? ""),
  }),
  run: async ({ db, authority, input }) => {
    const issued = await issueGatewayClient(db, authority, input);
    return { id: issued.id, credential: issued.credential, tenant: issued.tenant, name: issued.name };
  },
  revalidate: ["/gateway"],
});

export const revokeGatewayClientAction = defineAction({
  permission: "gateway.manage",
  schema: gatewayIdSchema,
  what: "revoke the gateway client",
  read: (raw: { id: string }) => raw,
  run: ({ db, authority, input }) => revokeGatewayClient(db, authority, input),
  revalidate: ["/gateway"],
});

/** What the rule editor sends: the argument rules as rows. */
export interface GatewayRuleValues {
  tenant?: string;
  subjectKind: string;
  subjectValue: string;
  tool: string;
  arguments: { path: string; match: string }[];
  note: string;
}

export const addGatewayRuleAction = defineAction({
  permission: "gateway.manage",
  schema: gatewayRuleInputSchema,
  what: "add the rule",
  read: (raw: GatewayRuleValues) => raw,
  run: ({ db, authority, input }) => addGatewayRule(db, authority, input),
  revalidate: ["/gateway"],
});

export const updateGatewayRuleAction = defineAction({
  permission: "gateway.manage",
  schema: updateGatewayRuleSchema,
  what: "change the rule",
  read: (raw: GatewayRuleValues & { id: string }) => raw,
  run: ({ db, authority, input }) => updateGatewayRule(db, authority, input),
  revalidate: ["/gateway"],
});

export const deleteGatewayRuleAction = defineAction({
  permission: "gateway.manage",
  schema: gatewayIdSchema,
  what: "delete the rule",
  read: (raw: { id: string }) => raw,
  run: ({ db, authority, input }) => deleteGatewayRule(db, authority, input),
  revalidate: ["/gateway"],
});
