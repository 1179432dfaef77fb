import type { Role } from "@/db/schema";
import type { ActionEntry, RouteEntry } from "./authz-registry";
import { PASSWORD } from "./fixtures";

// Issue 12, point 4's entries of the authorization matrix: the escalation form's search, the
// password re-authentication in place and the Escalations page's live state feed.

const ADMIN: readonly Role[] = ["admin"];
const file = "app/(console)/escalations/actions.ts";

export function actFromHereEntries(browserRequest: (path: string) => Request): (ActionEntry | RouteEntry)[] {
  return [
    {
      kind: "action",
      file,
      name: "searchEscalationTargetsAction",
      allow: ADMIN,
      scope: "tenant",
      // The globex admin gets globex's sessions (none of acme's): scoped, never refused.
      foreign: "scoped",
      readOnly: true,
      args: () => [{ kind: "session", q: "" }],
    },
    {
      kind: "action",
      file,
      name: "reauthenticateAction",
      allow: ADMIN,
      // The caller's own session: every admin may confirm their own password.
      scope: "self",
      args: () => [{ password: PASSWORD }],
    },
    {
      kind: "route",
      file: "app/api/escalations/state/route.ts",
      method: "GET",
      auth: "session",
      allow: ["investigator", "admin"],
      readOnly: true,
      request: () => browserRequest("/api/escalations/state"),
      shows: (f) => f.escalation.revoke,
    },
  ];
}
