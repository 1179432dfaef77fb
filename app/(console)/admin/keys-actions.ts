"use server";

import { defineAction, defineFormAction, type FormState } from "@/lib/actions/pipeline";
import {
  createApiKey,
  createApiKeySchema,
  revokeApiKey,
  revokeApiKeySchema,
  verifyAuditLog,
  verifyAuditLogSchema,
} from "@/lib/data/api-keys-admin";
import { getConsoleKey } from "@/lib/server/issuer-key";

export interface CreateApiKeyFormValues {
  tenant: string;
  source: string;
}
/** On success the whole key, once: the form shows it and it is never retrievable again. */
export type CreateApiKeyState = FormState<
  { key: string; tenant: string; source: string },
  CreateApiKeyFormValues
>;

export const createApiKeyAction = defineFormAction({
  permission: "apiKeys.manage",
  schema: createApiKeySchema,
  what: "create the API key",
  values: (form): CreateApiKeyFormValues => ({
    tenant: String(form.get("tenant") ?? ""),
    source: String(form.get("source") ?? ""),
  }),
  run: async ({ db, authority, input }) => {
    const created = await createApiKey(db, authority, input);
    return { key: created.key, tenant: created.tenant, source: created.source };
  },
  revalidate: ["/admin"],
});

export const revokeApiKeyAction = defineAction({
  permission: "apiKeys.manage",
  schema: revokeApiKeySchema,
  what: "revoke the API key",
  run: ({ db, authority, input }) => revokeApiKey(db, authority, input),
  revalidate: ["/admin"],
});

export const verifyAuditLogAction = defineAction({
  permission: "audit.verify",
  schema: verifyAuditLogSchema,
  what: "verify the audit log",
  run: ({ db, authority, input }) => {
    const key = getConsoleKey();
    return verifyAuditLog(db, authority, {
      input,
      keys: [{ kid: key.kid, publicKey: key.publicKey }],
    });
  },
});
