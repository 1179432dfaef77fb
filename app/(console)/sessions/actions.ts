"use server";

import { revalidatePath } from "next/cache";
import { type ActionResult, failed, invalid } from "@/lib/actions/result";
import { authorizeAction } from "@/lib/auth/guard";
import {
  type BlastRadius,
  blastRadiusTargetSchema,
  getBlastRadius,
  revokeCapability,
  revokeCapabilitySchema,
  revokePrincipal,
  revokePrincipalSchema,
  revokeSession,
  revokeSessionSchema,
} from "@/lib/data/revocations";
import { getDb } from "@/lib/server/db";

// Revocations of sessions, principals and capabilities. The forms show the blast radius
// (getBlastRadiusAction) before the admin confirms.

export async function getBlastRadiusAction(input: unknown): Promise<ActionResult<BlastRadius>> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = blastRadiusTargetSchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  try {
    return { ok: true, data: await getBlastRadius(await getDb(), auth.authority, parsed.data) };
  } catch (err) {
    return failed(err, "measure what the revocation cuts");
  }
}

const done = (cursor: number): ActionResult<{ cursor: number }> => {
  revalidatePath("/sessions");
  revalidatePath("/revocations");
  return { ok: true, data: { cursor } };
};

export async function revokeSessionAction(input: {
  tenant?: string;
  session: string;
  reason: string;
}): Promise<ActionResult<{ cursor: number }>> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = revokeSessionSchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  let cursor: number;
  try {
    ({ cursor } = await revokeSession(await getDb(), auth.authority, parsed.data));
  } catch (err) {
    return failed(err, "revoke the session");
  }
  return done(cursor);
}

export async function revokePrincipalAction(input: {
  tenant: string;
  principal: string;
  reason: string;
}): Promise<ActionResult<{ cursor: number }>> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = revokePrincipalSchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  let cursor: number;
  try {
    ({ cursor } = await revokePrincipal(await getDb(), auth.authority, parsed.data));
  } catch (err) {
    return failed(err, "revoke the principal");
  }
  return done(cursor);
}

export async function revokeCapabilityAction(input: {
  tenant?: string;
  capabilityId: string;
  reason: string;
}): Promise<ActionResult<{ cursor: number }>> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = revokeCapabilitySchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  let cursor: number;
  try {
    ({ cursor } = await revokeCapability(await getDb(), auth.authority, parsed.data));
  } catch (err) {
    return failed(err, "revoke the capability");
  }
  return done(cursor);
}
