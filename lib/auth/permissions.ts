import type { Role } from "@/db/schema";
import { type Authority, ForbiddenError } from "./authority";

// The one table of who may do what in the console (README "Roles", DESIGN "Roles in the
// console"). Pages, server actions, route handlers and the data layer all ask it, by permission
// name, so a change of policy is a change of one line here. Deny by default: a permission not
// in the table does not type-check, and a role not listed for it is refused.

const EVERYONE = ["viewer", "investigator", "admin"] as const;
const INVESTIGATORS = ["investigator", "admin"] as const;
const ADMINS = ["admin"] as const;

export const PERMISSIONS = {
  /** Overview, principals and their day view, requests, events and capability pages (own tenants). */
  "console.read": EVERYONE,
  /** Narrow every view to one tenant in scope. */
  "tenant.switch": EVERYONE,
  /** One's own saved explorer queries. */
  "queries.save": EVERYONE,
  /** Explorer and export: viewers (managers) get the summary only. */
  "events.read": EVERYONE,
  /** Reasons, checks' wording, `under:`/`cap:` queries, the full export. */
  "events.read.full": INVESTIGATORS,
  /** Sessions, escalations and revocations pages (read). */
  "sessions.read": INVESTIGATORS,
  "escalations.read": INVESTIGATORS,
  "revocations.read": INVESTIGATORS,
  /** Issue, approve, reject or revoke an escalation. */
  "escalations.issue": ADMINS,
  /** Revoke a session, a principal or a capability, and see what that would cut first. */
  "sessions.revoke": ADMINS,
  /** Console users: create, change role, disable. */
  "users.manage": ADMINS,
  /** Ingest API keys. */
  "apiKeys.manage": ADMINS,
  /** Issuer keys and a tenant's escalation policy. */
  "tenants.manage": ADMINS,
  /** Export an evidence bundle: events' full canonical content with their Merkle proofs. */
  "evidence.export": INVESTIGATORS,
  /** The Merkle log's signed checkpoints, verifier keys and proofs (own tenants): evidence to hand on. */
  "log.read": EVERYONE,
  /** Erase a person (a principal) from a tenant's events inside retention: cannot be undone. */
  "subjects.erase": ADMINS,
  /** Check the audit log's hash chain and checkpoints. */
  "audit.verify": ADMINS,
  /** Event streams to SIEMs and webhooks: add, change, pause, replay, delete; see their health. */
  "streams.manage": ADMINS,
  /** Cases (issue 12): open, pin to, annotate, judge and close; viewers see none (they hold reasons). */
  "cases.manage": INVESTIGATORS,
  /** See alerts and acknowledge, suppress or resolve them. */
  "alerts.triage": INVESTIGATORS,
  /** Alert rules (write, backtest, enable, delete) and the tenant's business hours. */
  "alerts.rules": ADMINS,
  /** The MCP gateway page: its clients (never a credential) and tool rules, read only. */
  "gateway.read": INVESTIGATORS,
  /** Gateway clients (issue a credential, revoke) and tool rules (add, change, delete). */
  "gateway.manage": ADMINS,
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function rolesFor(permission: Permission): readonly Role[] {
  return PERMISSIONS[permission];
}

export function can(authority: Authority | null, permission: Permission): authority is Authority {
  return authority !== null && rolesFor(permission).includes(authority.role);
}

/** For the data layer: a refusal the action pipeline shows as it is. */
export function assertCan(
  authority: Authority | null,
  permission: Permission,
): asserts authority is Authority {
  if (!can(authority, permission))
    throw new ForbiddenError(`This needs the role ${rolesFor(permission).join(" or ")}.`);
}
