import type { Db } from "@/db/client";
import type { Authority } from "@/lib/auth/authority";
import { createCase } from "@/lib/data/cases";
import type { ActionEntry, Identity, MatrixFixtures } from "./authz-registry";

// The cases' entries of the authorization matrix (issue 12): every action of
// app/(console)/cases/actions.ts, investigators and admins only, on acme's cases. Each allowed
// caller gets its own case, so the investigator's success leaves the admin's target as it was.

export interface CasesMatrixFixtures {
  /** An open acme case per caller that may write (viewer and globex aim at the investigator's). */
  investigator: string;
  admin: string;
  title: string;
}

const TITLE = "acme matrix case (confidential)";
export const CASE_PIN_PRINCIPAL = "alice@acme.example";

export async function createCasesMatrixFixtures(
  db: Db,
  users: { investigator: Authority; admin: Authority },
): Promise<CasesMatrixFixtures> {
  const open = async (who: Authority) =>
    (
      await createCase(db, who, {
        tenant: "acme",
        title: TITLE,
        pin: { kind: "principal", ref: CASE_PIN_PRINCIPAL },
      })
    ).id;
  return { investigator: await open(users.investigator), admin: await open(users.admin), title: TITLE };
}

export const casesMarkers = (c: CasesMatrixFixtures) => [c.investigator, c.admin, c.title];

const caseOf = (f: MatrixFixtures, who: Identity) => (who === "admin" ? f.cases.admin : f.cases.investigator);

const INVESTIGATORS = ["investigator", "admin"] as const;
const action = (
  name: string,
  args: ActionEntry["args"],
  extra: Partial<Pick<ActionEntry, "readOnly">> = {},
): ActionEntry => ({
  kind: "action",
  file: "app/(console)/cases/actions.ts",
  name,
  allow: INVESTIGATORS,
  scope: "tenant",
  args,
  ...extra,
});

function form(values: Record<string, string>): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(values)) fd.append(k, v);
  return fd;
}

export function casesActionEntries(): ActionEntry[] {
  return [
    action("createCaseAction", (_f, who) => [null, form({ tenant: "acme", title: `${who} matrix case` })]),
    action("pinToNewCaseAction", (f, who) => [
      { tenant: "acme", title: `${who} new case`, pin: { kind: "event", ref: f.futureEventId } },
    ]),
    action("casesForRefAction", (f) => [{ tenant: "acme", kind: "event", ref: f.futureEventId, q: "" }], {
      readOnly: true,
    }),
    action("pinToCaseAction", (f, who) => [{ id: caseOf(f, who), kind: "event", ref: f.futureEventId }]),
    action("unpinFromCaseAction", (f, who) => [
      { id: caseOf(f, who), kind: "principal", ref: CASE_PIN_PRINCIPAL },
    ]),
    action("renameCaseAction", (f, who) => [{ id: caseOf(f, who), title: `${who} renamed` }]),
    action("addCaseNoteAction", (f, who) => [{ id: caseOf(f, who), text: `${who} was here` }]),
    action("setCaseVerdictAction", (f, who) => [{ id: caseOf(f, who), verdict: "benign" }]),
    // Last: a closed case takes no more pins.
    action("setCaseStatusAction", (f, who) => [{ id: caseOf(f, who), status: "closed" }]),
  ];
}
