import type { z } from "zod";
import { ForbiddenError } from "@/lib/auth/authority";
import { ConflictError, NotFoundError } from "@/lib/data/console-users";

export type ActionResult<T = undefined> =
  | { ok: true; data: T }
  | { ok: false; error: string; fieldErrors?: Record<string, string[]> };

export function invalid(error: z.ZodError): ActionResult<never> {
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "form");
    fieldErrors[key] = [...(fieldErrors[key] ?? []), issue.message];
  }
  return { ok: false, error: "Check the highlighted fields.", fieldErrors };
}

/** Known refusals keep their words; anything else is logged and answered without detail. */
export function failed(err: unknown, what: string): ActionResult<never> {
  if (err instanceof ForbiddenError || err instanceof ConflictError || err instanceof NotFoundError) {
    return { ok: false, error: err.message };
  }
  console.error(`[action] ${what} failed:`, err);
  return { ok: false, error: `Could not ${what}. Nothing was changed; try again.` };
}
