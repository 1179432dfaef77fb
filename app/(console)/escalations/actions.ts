"use server";

import { revalidatePath } from "next/cache";
import { type ActionResult, failed, invalid } from "@/lib/actions/result";
import { authorizeAction } from "@/lib/auth/guard";
import {
  approveEscalation,
  EscalationFieldError,
  escalationIdSchema,
  type IssuedEscalation,
  issueEscalation,
  issueEscalationSchema,
  rejectEscalation,
} from "@/lib/data/escalations";
import { revokeEscalation, revokeEscalationSchema } from "@/lib/data/revocations";
import { getDb } from "@/lib/server/db";
import { getConsoleKey } from "@/lib/server/issuer-key";

/** What the issue form gets back. `token` is shown once and is never sent again by anything. */
export type IssueEscalationState = ActionResult<{
  id: string;
  status: IssuedEscalation["status"];
  token?: string;
  expiresAt?: string;
}> & { values?: Record<string, string> };

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

function refusal(err: unknown, what: string): ActionResult<never> {
  if (err instanceof EscalationFieldError)
    return { ok: false, error: "Check the highlighted fields.", fieldErrors: { [err.field]: [err.message] } };
  return failed(err, what);
}

export async function issueEscalationAction(
  _prev: IssueEscalationState | null,
  form: FormData,
): Promise<IssueEscalationState> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const values: Record<string, string> = {};
  for (const f of FIELDS) values[f] = String(form.get(f) ?? "").trim();
  const parsed = issueEscalationSchema.safeParse({
    ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== "")),
    singleUse: form.get("multiUse") !== "on",
  });
  if (!parsed.success) return { ...invalid(parsed.error), values };
  let issued: IssuedEscalation;
  try {
    issued = await issueEscalation(await getDb(), auth.authority, parsed.data, {
      consoleKey: getConsoleKey(),
    });
  } catch (err) {
    return { ...refusal(err, "issue the escalation"), values };
  }
  revalidatePath("/escalations");
  return { ok: true, data: answer(issued) };
}

export async function approveEscalationAction(input: { id: string }): Promise<IssueEscalationState> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = escalationIdSchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  let issued: IssuedEscalation;
  try {
    issued = await approveEscalation(await getDb(), auth.authority, parsed.data, {
      consoleKey: getConsoleKey(),
    });
  } catch (err) {
    return refusal(err, "approve the escalation");
  }
  // A token in the answer is kept by the page's TokenOutbox, above the rows that re-render.
  revalidatePath("/escalations");
  return { ok: true, data: answer(issued) };
}

export async function rejectEscalationAction(input: { id: string; reason?: string }): Promise<ActionResult> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = escalationIdSchema.safeParse({ id: input.id });
  if (!parsed.success) return invalid(parsed.error);
  try {
    await rejectEscalation(await getDb(), auth.authority, {
      ...parsed.data,
      reason: input.reason?.trim().slice(0, 1000) || undefined,
    });
  } catch (err) {
    return failed(err, "reject the escalation");
  }
  revalidatePath("/escalations");
  return { ok: true, data: undefined };
}

export async function revokeEscalationAction(input: {
  escalationId: string;
  reason: string;
}): Promise<ActionResult<{ cursor: number }>> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = revokeEscalationSchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  let cursor: number;
  try {
    ({ cursor } = await revokeEscalation(await getDb(), auth.authority, parsed.data));
  } catch (err) {
    return failed(err, "revoke the escalation");
  }
  revalidatePath("/escalations");
  revalidatePath("/revocations");
  return { ok: true, data: { cursor } };
}
