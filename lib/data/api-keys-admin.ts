import "server-only";
import { and, asc, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { apiKeys, tenants as tenantsTable } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import type { CheckpointKeys } from "@/lib/audit/checkpoint";
import { consoleEvents } from "@/lib/audit/console-event";
import { verifyChains } from "@/lib/audit/verify";
import { type Authority, assertTenantsInScope, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { insertApiKey } from "./api-keys";
import { ConflictError, NotFoundError } from "./console-users";
import { lockRowInScope } from "./tenant-lookup";

export const createApiKeySchema = z.object({
  tenant: z.string({ error: "Pick a tenant." }).trim().min(1, { error: "Pick a tenant." }).max(64),
  source: z
    .string({ error: "Name the source." })
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
      error: "Use 1–64 letters, digits, dots, dashes or underscores, e.g. billing-agent.",
    }),
});

export const revokeApiKeySchema = z.object({ id: z.uuid({ error: "Unknown API key." }) });

export const verifyAuditLogSchema = z.object({ tenant: z.string().trim().min(1).max(64).optional() });

export interface ApiKeyRow {
  id: string;
  tenant: string;
  source: string;
  prefix: string;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Ingest keys of the admin's tenants: never the hash, only the prefix that identifies a key. */
export async function listApiKeys(db: Db, authority: Authority): Promise<ApiKeyRow[]> {
  assertCan(authority, "apiKeys.manage");
  return db
    .select({
      id: apiKeys.id,
      tenant: apiKeys.tenant,
      source: apiKeys.source,
      prefix: apiKeys.prefix,
      createdBy: apiKeys.createdBy,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .where(inArray(apiKeys.tenant, [...authority.tenants]))
    .orderBy(asc(apiKeys.tenant), asc(apiKeys.source), desc(apiKeys.createdAt));
}

/**
 * A new ingest key for one tenant and source. One active key per (tenant, source): rotate by
 * revoking the old one first. The key is returned once, here, and stored only as its hash.
 */
export async function createApiKey(
  db: Db,
  authority: Authority,
  input: z.output<typeof createApiKeySchema>,
): Promise<{ id: string; key: string; tenant: string; source: string }> {
  assertCan(authority, "apiKeys.manage");
  assertTenantsInScope(authority, [input.tenant]);
  return db.transaction(async (tx) => {
    // Serialises two admins creating the same (tenant, source) at once.
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtext(${`api-key:${input.tenant}/${input.source}`}))`,
    );
    const [tenant] = await tx
      .select({ id: tenantsTable.id })
      .from(tenantsTable)
      .where(eq(tenantsTable.id, input.tenant));
    if (!tenant) throw new NotFoundError("Unknown tenant.");
    const active = await tx
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(
        and(eq(apiKeys.tenant, input.tenant), eq(apiKeys.source, input.source), isNull(apiKeys.revokedAt)),
      );
    if (active.length > 0)
      throw new ConflictError(
        `${input.source} already has an active key in ${input.tenant}; revoke it first.`,
      );
    const created = await insertApiKey(tx, { ...input, createdBy: authority.email });
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.api_key.created",
        tenants: [input.tenant],
        resource: { type: "ApiKey", id: created.id },
        meta: { source: input.source, prefix: created.key.slice(0, 10) },
      }),
    );
    return { id: created.id, key: created.key, tenant: input.tenant, source: input.source };
  });
}

export async function revokeApiKey(
  db: Db,
  authority: Authority,
  input: z.output<typeof revokeApiKeySchema>,
): Promise<void> {
  assertCan(authority, "apiKeys.manage");
  await db.transaction(async (tx) => {
    // A key of another tenant is "unknown": its existence is not the admin's to learn.
    const match = eq(apiKeys.id, input.id);
    const key = await lockRowInScope(tx, {
      table: apiKeys,
      tenants: authority.tenants,
      match,
      what: "API key",
      unknown: "Unknown API key.",
    });
    if (key.revokedAt) return;
    await tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.tenant, key.tenant), eq(apiKeys.id, key.id)));
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.api_key.revoked",
        tenants: [key.tenant],
        resource: { type: "ApiKey", id: key.id },
        meta: { source: key.source, prefix: key.prefix },
      }),
    );
  });
}

/** What the Admin page shows of a verification: no hashes. */
export interface AuditLogCheck {
  tenant: string;
  ok: boolean;
  rows: number;
  headSeq: number | null;
  firstBrokenSeq: number | null;
  problems: { seq: number; problem: string }[];
  latestCheckpoint: { seq: number; signedAt: Date } | null;
  /** Events after the latest checkpoint (signed within the checkpointer's bound). */
  uncovered: number;
}

/**
 * Verifies the chains of the admin's tenants (the active tenant, or all in scope) from one
 * snapshot, so a batch committing meanwhile cannot look like a break, then records the
 * verification as a console.audit.verified event per tenant: the check itself becomes part of
 * the evidence. The checkpointer (lib/audit/checkpointer.ts) signs the new head within its bound.
 */
export async function verifyAuditLog(
  db: Db,
  authority: Authority,
  args: { input: z.output<typeof verifyAuditLogSchema>; keys: CheckpointKeys },
): Promise<AuditLogCheck[]> {
  assertCan(authority, "audit.verify");
  const tenants = args.input.tenant ? [args.input.tenant] : tenantsInView(authority);
  assertTenantsInScope(authority, tenants);
  const verified = await verifyChains(db, { tenants: [...tenants].sort(), keys: args.keys });
  const results: AuditLogCheck[] = verified.map((v) => ({
    tenant: v.tenant,
    ok: v.ok,
    rows: v.rows,
    headSeq: v.headSeq,
    firstBrokenSeq: v.firstBrokenSeq,
    problems: v.problems,
    latestCheckpoint: v.latestCheckpoint
      ? { seq: v.latestCheckpoint.seq, signedAt: v.latestCheckpoint.signedAt }
      : null,
    uncovered: v.uncovered,
  }));
  await db.transaction(async (tx) => {
    for (const r of results) {
      await appendEvents(
        tx,
        consoleEvents({
          actor: authority,
          type: "console.audit.verified",
          tenants: [r.tenant],
          outcome: "allowed",
          reason: r.ok ? "chain verified" : `chain broken at seq ${r.firstBrokenSeq}`,
          resource: { type: "AuditLog", id: r.tenant },
          meta: { ok: r.ok, rows: r.rows, headSeq: r.headSeq, firstBrokenSeq: r.firstBrokenSeq },
        }),
      );
    }
  });
  return results;
}
