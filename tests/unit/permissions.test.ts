import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROLES, type Role } from "@/db/schema";
import type { Authority } from "@/lib/auth/authority";
import { assertCan, can, PERMISSIONS, type Permission } from "@/lib/auth/permissions";
import { ForbiddenError } from "@/lib/errors";

// Issue 11: one table says which role may do what (README "Roles"). This spells the README's
// table out row by row, independently of lib/auth/permissions.ts, and checks that no module
// decides by role on its own any more.

const ROOT = path.resolve(import.meta.dirname, "../..");
const yes = (...roles: Role[]) => roles;

/** README "Roles", one row each. */
const README: Record<Permission, Role[]> = {
  // overview, principals, requests, events pages (own tenants): everyone
  "console.read": yes("viewer", "investigator", "admin"),
  "events.read": yes("viewer", "investigator", "admin"),
  "queries.save": yes("viewer", "investigator", "admin"),
  "tenant.switch": yes("viewer", "investigator", "admin"),
  // the Merkle log's checkpoints, keys and proofs (issue 15): everyone, own tenants
  "log.read": yes("viewer", "investigator", "admin"),
  // explorer with reasons, capabilities, under:/cap: queries, full export: not viewers
  "events.read.full": yes("investigator", "admin"),
  // sessions, escalations, revocations pages (read)
  "sessions.read": yes("investigator", "admin"),
  "escalations.read": yes("investigator", "admin"),
  "revocations.read": yes("investigator", "admin"),
  // issue or approve escalations, revoke anything
  "escalations.issue": yes("admin"),
  "sessions.revoke": yes("admin"),
  // manage console users, ingest keys (and issuer keys, DESIGN); verify the audit log
  "users.manage": yes("admin"),
  "apiKeys.manage": yes("admin"),
  "tenants.manage": yes("admin"),
  "audit.verify": yes("admin"),
  "subjects.erase": yes("admin"),
  // event streams to SIEMs and webhooks (README "Roles": admins)
  "streams.manage": yes("admin"),
  // alerts: investigators triage them, admins write the rules
  "alerts.triage": yes("investigator", "admin"),
  "alerts.rules": yes("admin"),
  // cases (issue 12): investigators and admins; viewers see none (a case holds reasons)
  "cases.manage": yes("investigator", "admin"),
  // evidence bundles carry events' full content: investigators and admins
  "evidence.export": yes("investigator", "admin"),
  // the MCP gateway page (issue 14): investigators read it, admins manage clients and rules
  "gateway.read": yes("investigator", "admin"),
  "gateway.manage": yes("admin"),
};

const as = (role: Role) => ({ role, tenants: ["acme"] }) as unknown as Authority;

describe("the permissions table", () => {
  it("says for every permission exactly the roles of README's table", () => {
    expect(Object.keys(PERMISSIONS).sort()).toEqual(Object.keys(README).sort());
    for (const [permission, roles] of Object.entries(README) as [Permission, Role[]][]) {
      for (const role of ROLES)
        expect(can(as(role), permission), `${role} ${permission}`).toBe(roles.includes(role));
    }
  });

  it("denies by default: no authority, or an unknown role, gets nothing", () => {
    for (const permission of Object.keys(PERMISSIONS) as Permission[]) {
      expect(can(null, permission)).toBe(false);
      expect(can(as("root" as Role), permission)).toBe(false);
    }
    expect(() => assertCan(as("viewer"), "users.manage")).toThrow(ForbiddenError);
    expect(() => assertCan(as("admin"), "users.manage")).not.toThrow();
  });

  it("is the only place that decides by role (no role lists or role comparisons elsewhere)", () => {
    const walk = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return walk(full);
        return /\.(ts|tsx)$/.test(e.name) ? [full] : [];
      });
    const SCATTERED = [
      /\b(assertRole|hasRole|requireRole)\(/,
      /\b(authorizeAction|authorizeRoute)\(\s*\[/,
      /\.role\s*[!=]==?\s*["'](viewer|investigator|admin)["']/,
    ];
    const found = ["app", "components", "lib"]
      .flatMap((d) => walk(path.join(ROOT, d)))
      .flatMap((file) =>
        fs
          .readFileSync(file, "utf8")
          .split("\n")
          .map((line, i) => ({ line, at: `${path.relative(ROOT, file)}:${i + 1}` }))
          .filter(({ line }) => SCATTERED.some((re) => re.test(line)))
          .map(({ at, line }) => `${at}: ${line.trim()}`),
      );
    expect(found).toEqual([]);
  });
});
