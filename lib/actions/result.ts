import type { z } from "zod";
import { FieldError, UserError } from "@/lib/errors";

export type ActionResult<T = undefined> =
  | { ok: true; data: T }
  | { ok: false; error: string; fieldErrors?: Record<string, string[]> };

export const CHECK_FIELDS = "Check the highlighted fields.";

/** A zod failure as the forms read it: one list of messages per top-level field. */
export function invalid(error: z.ZodError): ActionResult<never> {
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "form");
    fieldErrors[key] = [...(fieldErrors[key] ?? []), issue.message];
  }
  return { ok: false, error: CHECK_FIELDS, fieldErrors };
}

/**
 * The error hierarchy (lib/errors.ts) as user messages: a field's refusal beside its field, any
 * other UserError in its own words, anything else logged here and answered without detail.
 */
export function refusal(err: unknown, what: string): ActionResult<never> {
  if (err instanceof FieldError)
    return { ok: false, error: CHECK_FIELDS, fieldErrors: { [err.field]: [err.message] } };
  if (err instanceof UserError) return { ok: false, error: err.message };
  console.error(`[action] ${what} failed:`, err);
  return { ok: false, error: `Could not ${what}. Nothing was changed; try again.` };
}
