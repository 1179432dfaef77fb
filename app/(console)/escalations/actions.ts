"use server";

import { z } from "zod";
import { defineAction, defineFormAction, type FormState } from "@/lib/actions/pipeline";
import {
  approveEscalation,
  escalationIdSchema,
  type IssuedEscalation,
  issueEscalation,
  issueEscalationSchema,
  rejectEscalation,
} from "@/lib/data/escalations";
import { revokeEscalation, revokeEscalationSchema } from "@/lib/data/revocations";
import { getConsoleKey } from "@/lib/server/issuer-key";

/** What the issue form gets back. `token` is shown once and is never sent again by anything. */
export type IssueEscalationState = FormState<
  { id: string; status: IssuedEscalation["status"]; token?: string; expiresAt?: string },
  Record<string, string>
>;

const FIELDS = [
  "tenant",
  "principal",
  "session",
  "agent",
  "tool",
  "resourceType",
  "resourceId",
  "action",
  "argDigest",
  "ttlSeconds",
  "reason",
  "delivery",
] as const;

function answer(issued: IssuedEscalation) {
  return {
    id: issued.id,
    status: issued.status,
    ...(issued.token ? { token: issued.token } : {}),
    ...(issued.expiresAt ? { expiresAt: issued.expiresAt.toISOString() } : {}),
  };
}

export const issueEscalationAction = defineFormAction({
  permission: "escalations.issue",
  schema: issueEscalationSchema,
  what: "issue the escalation",
  values: (form) => {
    const values: Record<string, string> = {};
    for (const f of FIELDS) values[f] = String(form.get(f) ?? "").trim();
    return values;
  },
  read: (values, form) => ({
    ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== "")),
    singleUse: form.get("multiUse") !== "on",
  }),
  run: async ({ db, authority, input }) =>
    answer(await issueEscalation(db, authority, input, { consoleKey: getConsoleKey() })),
  revalidate: ["/escalations"],
});

export const approveEscalationAction = defineAction({
  permission: "escalations.issue",
  schema: escalationIdSchema,
  what: "approve the escalation",
  read: (raw: { id: string }) => raw,
  // A token in the answer is kept by the page's TokenOutbox, above the rows that re-render.
  run: async ({ db, authority, input }) =>
    answer(await approveEscalation(db, authority, input, { consoleKey: getConsoleKey() })),
  revalidate: ["/escalations"],
});

/** A rejection's reason is optional free text: trimmed and cut, never a reason to refuse. */
const rejectEscalationSchema = escalationIdSchema.extend({
  reason: z
    .unknown()
    .transform((r) => (typeof r === "string" ? r.trim().slice(0, 1000) || undefined : undefined)),
});

export const rejectEscalationAction = defineAction({
  permission: "escalations.issue",
  schema: rejectEscalationSchema,
  what: "reject the escalation",
  read: (raw: { id: string; reason?: string }) => raw,
  run: ({ db, authority, input }) => rejectEscalation(db, authority, input),
  revalidate: ["/escalations"],
});

export const revokeEscalationAction = defineAction({
  permission: "escalations.issue",
  schema: revokeEscalationSchema,
  what: "revoke the escalation",
  read: (raw: { escalationId: string; reason: string }) => raw,
  run: async ({ db, authority, input }) => ({
    cursor: (await revokeEscalation(db, authority, input)).cursor,
  }),
  revalidate: ["/escalations", "/revocations"],
});
