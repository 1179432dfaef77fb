"use server";

import { defineFormAction, type FormState } from "@/lib/actions/pipeline";
import { eraseSubject, eraseSubjectSchema } from "@/lib/data/subject-erasure";

export type EraseSubjectState = FormState<
  { tenant: string; events: number; notErasable: number },
  Record<string, string>
>;

/** Erases a person's data from a tenant's events (docs/retention.md "Erasing a subject"). */
export const eraseSubjectAction = defineFormAction({
  permission: "subjects.erase",
  schema: eraseSubjectSchema,
  what: "erase the person's data",
  values: (form): Record<string, string> => ({
    tenant: String(form.get("tenant") ?? ""),
    subject: String(form.get("subject") ?? ""),
    confirm: String(form.get("confirm") ?? ""),
    reference: String(form.get("reference") ?? ""),
  }),
  run: async ({ db, authority, input }) => eraseSubject(db, authority, input),
  revalidate: ["/admin", "/events", "/principals", "/"],
});
