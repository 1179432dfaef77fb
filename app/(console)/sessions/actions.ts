"use server";

import { defineAction } from "@/lib/actions/pipeline";
import {
  blastRadiusTargetSchema,
  getBlastRadius,
  revokeCapability,
  revokeCapabilitySchema,
  revokePrincipal,
  revokePrincipalSchema,
  revokeSession,
  revokeSessionSchema,
} from "@/lib/data/revocations";

// Revocations of sessions, principals and capabilities. The forms show the blast radius
// (getBlastRadiusAction) before the admin confirms.

export const getBlastRadiusAction = defineAction({
  permission: "sessions.revoke",
  schema: blastRadiusTargetSchema,
  what: "measure what the revocation cuts",
  read: (raw: unknown) => raw,
  run: ({ db, authority, input }) => getBlastRadius(db, authority, input),
});

/** What a revocation changes: the agent sessions and the feed verifiers follow. */
const REVOKED = ["/sessions", "/revocations"];

export const revokeSessionAction = defineAction({
  permission: "sessions.revoke",
  schema: revokeSessionSchema,
  what: "revoke the session",
  read: (raw: { tenant?: string; session: string; reason: string }) => raw,
  run: async ({ db, authority, input }) => ({ cursor: (await revokeSession(db, authority, input)).cursor }),
  revalidate: REVOKED,
});

export const revokePrincipalAction = defineAction({
  permission: "sessions.revoke",
  schema: revokePrincipalSchema,
  what: "revoke the principal",
  read: (raw: { tenant: string; principal: string; reason: string }) => raw,
  run: async ({ db, authority, input }) => ({ cursor: (await revokePrincipal(db, authority, input)).cursor }),
  revalidate: REVOKED,
});

export const revokeCapabilityAction = defineAction({
  permission: "sessions.revoke",
  schema: revokeCapabilitySchema,
  what: "revoke the capability",
  read: (raw: { tenant?: string; capabilityId: string; reason: string }) => raw,
  run: async ({ db, authority, input }) => ({
    cursor: (await revokeCapability(db, authority, input)).cursor,
  }),
  revalidate: REVOKED,
});
