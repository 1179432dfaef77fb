"use server";

import { headers } from "next/headers";
import { z } from "zod";
import { defineAction, defineFormAction, type FormState } from "@/lib/actions/pipeline";
import { clientAddress, trustedProxyHops } from "@/lib/auth/client-address";
import { escalationTargetQuerySchema, searchEscalationTargets } from "@/lib/data/escalation-targets";
import {
  approveEscalation,
  escalationIdSchema,
  type IssuedEscalation,
  issueEscalation,
  issueEscalationSchema,
  REAUTH_REQUIRED_MESSAGE,
  rejectEscalation,
} from "@/lib/data/escalations";
import { reauthenticate, reauthSchema } from "@/lib/data/reauthenticate";
import { revokeEscalation, revokeEscalationSchema } from "@/lib/data/revocations";
import { getConsoleKey } from "@/lib/server/issuer-key";

/** What the issue form gets back. `token` is shown once and is never sent again by anything. */
export type IssueEscalationState = FormState<
  { id: string; status: IssuedEscalation["status"]; token?: string; expiresAt?: string },
  Record<string, string>
> & {
  /** The sign-in is older than the 5 minutes issuing needs: the page asks for the password in place. */
  reauth?: true;
};

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
  "multiUse",
] as const;

function answer(issued: IssuedEscalation) {
  return {
    id: issued.id,
    status: issued.status,
    ...(issued.token ? { token: issued.token } : {}),
    ...(issued.expiresAt ? { expiresAt: issued.expiresAt.toISOString() } : {}),
  };
}

const issue = defineFormAction({
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

export async function issueEscalationAction(
  prev: IssueEscalationState | null,
  form: FormData,
): Promise<IssueEscalationState> {
  const result = await issue(prev, form);
  return !result.ok && result.error === REAUTH_REQUIRED_MESSAGE ? { ...result, reauth: true } : result;
}

/**
 * Confirms the admin's password in place and renews the session's sign-in time, under the
 * sign-in limits, so an escalation form survives the 5-minute re-authentication.
 */
export const reauthenticateAction = defineAction({
  permission: "escalations.issue",
  schema: reauthSchema,
  what: "confirm your password",
  read: (raw: { password: string }) => raw,
  run: async ({ db, authority, input }) => {
    const ip = clientAddress((await headers()).get("x-forwarded-for"), trustedProxyHops());
    const { authTime } = await reauthenticate(db, authority, { password: input.password, ip });
    return { authTime: authTime.toISOString() };
  },
});

/** The issue form's search: sessions or principals of the admin's tenants, at most 10. */
export const searchEscalationTargetsAction = defineAction({
  permission: "escalations.issue",
  schema: escalationTargetQuerySchema,
  what: "search",
  read: (raw: { kind: "session" | "principal"; q: string; tenant?: string }) => raw,
  run: ({ db, authority, input }) => searchEscalationTargets(db, authority, input),
});

const approve = defineAction({
  permission: "escalations.issue",
  schema: escalationIdSchema,
  what: "approve the escalation",
  read: (raw: { id: string }) => raw,
  // A token in the answer is kept by the page's TokenOutbox, above the rows that re-render.
  run: async ({ db, authority, input }) =>
    answer(await approveEscalation(db, authority, input, { consoleKey: getConsoleKey() })),
  revalidate: ["/escalations"],
});

export async function approveEscalationAction(raw: { id: string }) {
  const result = await approve(raw);
  return !result.ok && result.error === REAUTH_REQUIRED_MESSAGE
    ? { ...result, reauth: true as const }
    : result;
}

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
