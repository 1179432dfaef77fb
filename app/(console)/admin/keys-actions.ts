"use server";

import { revalidatePath } from "next/cache";
import { type ActionResult, failed, invalid } from "@/lib/actions/result";
import { authorizeAction } from "@/lib/auth/guard";
import {
  type AuditLogCheck,
  createApiKey,
  createApiKeySchema,
  revokeApiKey,
  revokeApiKeySchema,
  verifyAuditLog,
  verifyAuditLogSchema,
} from "@/lib/data/api-keys-admin";
import { getDb } from "@/lib/server/db";
import { getConsoleKey } from "@/lib/server/issuer-key";

export interface CreateApiKeyFormValues {
  tenant: string;
  source: string;
}
/** On success the whole key, once: the form shows it and it is never retrievable again. */
export type CreateApiKeyState = ActionResult<{ key: string; tenant: string; source: string }> & {
  values?: CreateApiKeyFormValues;
};

export async function createApiKeyAction(
  _prev: CreateApiKeyState | null,
  form: FormData,
): Promise<CreateApiKeyState> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const values: CreateApiKeyFormValues = {
    tenant: String(form.get("tenant") ?? ""),
    source: String(form.get("source") ?? ""),
  };
  const parsed = createApiKeySchema.safeParse(values);
  if (!parsed.success) return { ...invalid(parsed.error), values };
  let created: { key: string; tenant: string; source: string };
  try {
    created = await createApiKey(await getDb(), auth.authority, parsed.data);
  } catch (err) {
    return { ...failed(err, "create the API key"), values };
  }
  revalidatePath("/admin");
  return { ok: true, data: { key: created.key, tenant: created.tenant, source: created.source } };
}

export async function revokeApiKeyAction(input: { id: string }): Promise<ActionResult> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = revokeApiKeySchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  try {
    await revokeApiKey(await getDb(), auth.authority, parsed.data);
  } catch (err) {
    return failed(err, "revoke the API key");
  }
  revalidatePath("/admin");
  return { ok: true, data: undefined };
}

export async function verifyAuditLogAction(input: {
  tenant?: string;
}): Promise<ActionResult<AuditLogCheck[]>> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = verifyAuditLogSchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  try {
    const key = getConsoleKey();
    const data = await verifyAuditLog(await getDb(), auth.authority, {
      input: parsed.data,
      keys: [{ kid: key.kid, publicKey: key.publicKey }],
    });
    return { ok: true, data };
  } catch (err) {
    return failed(err, "verify the audit log");
  }
}
