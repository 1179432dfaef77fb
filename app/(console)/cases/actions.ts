"use server";

import { defineAction, defineFormAction, type FormState } from "@/lib/actions/pipeline";
import {
  addCaseNote,
  caseNoteSchema,
  caseStatusSchema,
  casesForRef,
  casesForRefSchema,
  createCase,
  createCaseSchema,
  pinSchema,
  pinToCase,
  renameCase,
  renameCaseSchema,
  setCaseStatus,
  setCaseVerdict,
  unpinFromCase,
  unpinSchema,
  verdictSchema,
} from "@/lib/data/cases";

// The cases' writes (issue 12). Each data function checks cases.manage and the case's tenant
// itself, and writes the case history and its console.case.* event in the same transaction.

const CASES: [string, "layout"][] = [["/cases", "layout"]];

export interface CreateCaseValues {
  tenant: string;
  title: string;
}
export type CreateCaseState = FormState<{ id: string; title: string }, CreateCaseValues>;

/** The "New case" form of /cases. */
export const createCaseAction = defineFormAction({
  permission: "cases.manage",
  schema: createCaseSchema,
  what: "open the case",
  values: (form): CreateCaseValues => ({
    tenant: String(form.get("tenant") ?? ""),
    title: String(form.get("title") ?? ""),
  }),
  run: async ({ db, authority, input }) => {
    const c = await createCase(db, authority, { tenant: input.tenant, title: input.title });
    return { id: c.id, title: c.title };
  },
  revalidate: CASES,
});

/** The pin dialog's "new case…": a case with this item pinned, in one transaction. */
export const pinToNewCaseAction = defineAction({
  permission: "cases.manage",
  schema: createCaseSchema,
  what: "open the case",
  run: async ({ db, authority, input }) => {
    const c = await createCase(db, authority, input);
    return { id: c.id, title: c.title };
  },
  revalidate: CASES,
});

/** The pin dialog's list: open cases of the item's tenant and the cases it is pinned to. */
export const casesForRefAction = defineAction({
  permission: "cases.manage",
  schema: casesForRefSchema,
  what: "list the cases",
  run: ({ db, authority, input }) => casesForRef(db, authority, input),
});

export const pinToCaseAction = defineAction({
  permission: "cases.manage",
  schema: pinSchema,
  what: "pin it to the case",
  run: ({ db, authority, input }) => pinToCase(db, authority, input),
  revalidate: CASES,
});

export const unpinFromCaseAction = defineAction({
  permission: "cases.manage",
  schema: unpinSchema,
  what: "unpin it",
  run: ({ db, authority, input }) => unpinFromCase(db, authority, input),
  revalidate: CASES,
});

export const renameCaseAction = defineAction({
  permission: "cases.manage",
  schema: renameCaseSchema,
  what: "rename the case",
  run: ({ db, authority, input }) => renameCase(db, authority, input),
  revalidate: CASES,
});

export const addCaseNoteAction = defineAction({
  permission: "cases.manage",
  schema: caseNoteSchema,
  what: "add the note",
  run: ({ db, authority, input }) => addCaseNote(db, authority, input),
  revalidate: CASES,
});

export const setCaseVerdictAction = defineAction({
  permission: "cases.manage",
  schema: verdictSchema,
  what: "set the verdict",
  run: ({ db, authority, input }) => setCaseVerdict(db, authority, input),
  revalidate: CASES,
});

export const setCaseStatusAction = defineAction({
  permission: "cases.manage",
  schema: caseStatusSchema,
  what: (i) => (i.status === "closed" ? "close the case" : "reopen the case"),
  run: ({ db, authority, input }) => setCaseStatus(db, authority, input),
  revalidate: CASES,
});
