import { describe, expect, it } from "vitest";
import type { Authority } from "@/lib/auth/authority";
import { evidenceExportLinks } from "@/lib/evidence/links";

const who = (role: Authority["role"], tenants: string[], activeTenant: string | null = null) =>
  ({ role, tenants, activeTenant }) as unknown as Authority;

describe("evidenceExportLinks", () => {
  it("offers investigators one link per tenant in view, and viewers none", () => {
    expect(evidenceExportLinks(who("viewer", ["acme"]), { kind: "query", q: "" })).toEqual([]);
    expect(
      evidenceExportLinks(who("investigator", ["acme"]), { kind: "query", q: "outcome:denied since:7d" }),
    ).toEqual([
      { tenant: "acme", href: "/evidence/export?kind=query&q=outcome%3Adenied+since%3A7d&tenant=acme" },
    ]);
    expect(
      evidenceExportLinks(who("admin", ["acme", "globex"]), { kind: "request", id: "req_1" }).map(
        (l) => l.tenant,
      ),
    ).toEqual(["acme", "globex"]);
    expect(
      evidenceExportLinks(who("admin", ["acme", "globex"], "globex"), { kind: "request", id: "req_1" }).map(
        (l) => l.tenant,
      ),
    ).toEqual(["globex"]);
    expect(
      evidenceExportLinks(who("admin", ["acme", "globex"]), { kind: "capability", id: "8f3a" }, "acme").map(
        (l) => l.href,
      ),
    ).toEqual(["/evidence/export?kind=capability&id=8f3a&tenant=acme"]);
  });
});
