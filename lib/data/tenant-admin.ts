import "server-only";
import { KID, rootKeyIdOf } from "@capability-console/sdk/internal/capability/keys";
import { and, asc, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { issuers, tenants } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { type Authority, assertTenantsInScope } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { MAX_RETENTION_DAYS, retentionDays } from "@/lib/retention/sweep";
import { ConflictError, NotFoundError } from "./console-users";
import { escalationPolicy, REAUTH_WINDOW_MS, ReauthRequiredError } from "./escalations";

// Per-tenant settings an admin manages on the Admin page: the escalation policy (two-person
// rule, the TTL cap) and the tenant's issuer keys (the public keys its agent platform mints
// capabilities with; verifiers read them from GET /api/v1/keys).

export const tenantField = z
  .string({ error: "Pick a tenant." })
  .trim()
  .min(1, { error: "Pick a tenant." })
  .max(64);

// ---------------------------------------------------------------------------------------------
// Escalation policy

export const MAX_TTL_CEILING_SECONDS = 3600;

export const tenantPolicySchema = z.object({
  tenant: tenantField,
  twoPersonEscalations: z.boolean({ error: "twoPersonEscalations must be true or false." }),
  escalationMaxTtlSeconds: z.coerce
    .number({ error: "The maximum TTL must be a number of seconds." })
    .int({ error: "The maximum TTL must be a whole number of seconds." })
    .min(1, { error: "The maximum TTL must be at least 1 second." })
    .max(MAX_TTL_CEILING_SECONDS, {
      error: `The maximum TTL can be at most ${MAX_TTL_CEILING_SECONDS} seconds.`,
    }),
});
export type TenantPolicyInput = z.output<typeof tenantPolicySchema>;

export interface TenantPolicyRow {
  tenant: string;
  name: string;
  twoPersonEscalations: boolean;
  escalationMaxTtlSeconds: number;
  /** Days events are kept (docs/retention.md), or null: kept forever. */
  retentionDays: number | null;
}

/** The escalation policy of each tenant the admin manages. */
export async function listTenantPolicies(db: Db, authority: Authority): Promise<TenantPolicyRow[]> {
  assertCan(authority, "tenants.manage");
  if (authority.tenants.length === 0) return [];
  const rows = await db
    .select()
    .from(tenants)
    .where(inArray(tenants.id, [...authority.tenants]))
    .orderBy(asc(tenants.id));
  return rows.map((t) => {
    const p = escalationPolicy(t.settings);
    return {
      tenant: t.id,
      name: t.name,
      twoPersonEscalations: p.twoPerson,
      escalationMaxTtlSeconds: p.maxTtlSeconds,
      retentionDays: retentionDays(t.settings),
    };
  });
}

/**
 * Sets a tenant's escalation policy. Weakening it (dropping the two-person rule, or allowing
 * longer grants) is what an attacker holding one admin session would do first, so it needs a
 * sign-in from the last few minutes, like issuing an escalation. Every change is an event.
 */
export async function setTenantPolicy(
  db: Db,
  authority: Authority,
  input: TenantPolicyInput,
  now = new Date(),
): Promise<TenantPolicyRow> {
  assertCan(authority, "tenants.manage");
  assertTenantsInScope(authority, [input.tenant]);
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(tenants).where(eq(tenants.id, input.tenant)).for("update");
    if (!row) throw new NotFoundError("Unknown tenant.");
    const before = escalationPolicy(row.settings);
    const weakens =
      (before.twoPerson && !input.twoPersonEscalations) ||
      input.escalationMaxTtlSeconds > before.maxTtlSeconds;
    if (weakens && now.getTime() - authority.authTime.getTime() > REAUTH_WINDOW_MS)
      throw new ReauthRequiredError(
        "Sign in again to confirm it is you: relaxing the escalation policy needs a sign-in from the last 5 minutes.",
      );
    const after = {
      twoPersonEscalations: input.twoPersonEscalations,
      escalationMaxTtlSeconds: input.escalationMaxTtlSeconds,
    };
    const result = { tenant: row.id, name: row.name, ...after, retentionDays: retentionDays(row.settings) };
    if (
      before.twoPerson === after.twoPersonEscalations &&
      before.maxTtlSeconds === after.escalationMaxTtlSeconds
    )
      return result;
    await tx
      .update(tenants)
      .set({ settings: { ...row.settings, ...after } })
      .where(eq(tenants.id, row.id));
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.tenant.policy_changed",
        tenants: [row.id],
        resource: { type: "Tenant", id: row.id },
        meta: {
          before: { twoPersonEscalations: before.twoPerson, escalationMaxTtlSeconds: before.maxTtlSeconds },
          after,
        },
        now,
      }),
    );
    return result;
  });
}

// ---------------------------------------------------------------------------------------------
// Retention (docs/retention.md)

export const tenantRetentionSchema = z.object({
  tenant: tenantField,
  // Empty (or absent): kept forever.
  retentionDays: z
    .preprocess(
      (v) => (v === "" || v === null ? undefined : v),
      z.coerce
        .number({ error: "Retention must be a number of days, or empty to keep events forever." })
        .int({ error: "Retention must be a whole number of days." })
        .min(1, { error: "Retention must be at least 1 day." })
        .max(MAX_RETENTION_DAYS, { error: `Retention can be at most ${MAX_RETENTION_DAYS} days.` })
        .optional(),
    )
    .transform((v) => v ?? null),
});
export type TenantRetentionInput = z.output<typeof tenantRetentionSchema>;

/**
 * Sets how long a tenant's events are kept. Shortening it (or setting one where there was none)
 * makes the retention job delete evidence sooner, so, like relaxing the escalation policy, it
 * needs a sign-in from the last few minutes. Every change is an event in the tenant's chain.
 */
export async function setTenantRetention(
  db: Db,
  authority: Authority,
  input: TenantRetentionInput,
  now = new Date(),
): Promise<{ tenant: string; before: number | null; after: number | null }> {
  assertCan(authority, "tenants.manage");
  assertTenantsInScope(authority, [input.tenant]);
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(tenants).where(eq(tenants.id, input.tenant)).for("update");
    if (!row) throw new NotFoundError("Unknown tenant.");
    const before = retentionDays(row.settings);
    const after = input.retentionDays;
    if (before === after) return { tenant: row.id, before, after };
    const shortens = after !== null && (before === null || after < before);
    if (shortens && now.getTime() - authority.authTime.getTime() > REAUTH_WINDOW_MS)
      throw new ReauthRequiredError(
        "Sign in again to confirm it is you: shortening retention deletes events sooner and needs a sign-in from the last 5 minutes.",
      );
    const { retentionDays: _old, ...rest } = row.settings;
    await tx
      .update(tenants)
      .set({ settings: after === null ? rest : { ...rest, retentionDays: after } })
      .where(eq(tenants.id, row.id));
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.tenant.retention_changed",
        tenants: [row.id],
        resource: { type: "Tenant", id: row.id },
        meta: { before, after },
        now,
      }),
    );
    return { tenant: row.id, before, after };
  });
}

// ---------------------------------------------------------------------------------------------
// Issuer keys

/** The console's own keys are named console-…; tenants' keys may not take that prefix. */
export const CONSOLE_KID_PREFIX = "console-";
const PUBLIC_KEY = /^ed25519\/[0-9a-f]{64}$/;

/** Grace periods offered when retiring a key: tokens it signed keep verifying this long. */
export const RETIRE_GRACE_SECONDS = [0, 3600, 86_400, 7 * 86_400] as const;
export const MAX_GRACE_SECONDS = 30 * 86_400;

export const addIssuerKeySchema = z.object({
  tenant: tenantField,
  kid: z.string({ error: "Name the key." }).trim().regex(KID, {
    error: "Use 1–128 letters, digits, dots, colons, dashes or underscores, e.g. acme-2026-12.",
  }),
  publicKey: z
    .string({ error: "Paste the public key." })
    .trim()
    .toLowerCase()
    .regex(PUBLIC_KEY, { error: "Paste an Ed25519 public key as ed25519/<64 hex digits>." }),
});
export type AddIssuerKeyInput = z.output<typeof addIssuerKeySchema>;

export const retireIssuerKeySchema = z.object({
  kid: z.string().trim().regex(KID, { error: "Unknown issuer key." }),
  graceSeconds: z.coerce
    .number({ error: "The grace period must be a number of seconds." })
    .int({ error: "The grace period must be a whole number of seconds." })
    .min(0, { error: "The grace period cannot be negative." })
    .max(MAX_GRACE_SECONDS, { error: "The grace period can be at most 30 days." }),
});
export type RetireIssuerKeyInput = z.output<typeof retireIssuerKeySchema>;

export interface IssuerKeyRow {
  kid: string;
  /** null: the console's own key (escalations, checkpoints), managed by the deployment. */
  tenant: string | null;
  algorithm: string;
  publicKey: string;
  status: "active" | "retired";
  createdAt: Date;
  retiredAt: Date | null;
  verifiesUntil: Date | null;
}

/** The issuer keys of the admin's tenants, and the console's own key (read-only here). */
export async function listIssuerKeys(db: Db, authority: Authority): Promise<IssuerKeyRow[]> {
  assertCan(authority, "tenants.manage");
  const inScope = authority.tenants.length > 0 ? inArray(issuers.tenant, [...authority.tenants]) : undefined;
  const rows = await db
    .select()
    .from(issuers)
    .where(inScope ? or(inScope, isNull(issuers.tenant)) : isNull(issuers.tenant))
    .orderBy(sql`${issuers.tenant} nulls first`, asc(issuers.createdAt), asc(issuers.kid));
  return rows.map((r) => ({
    kid: r.kid,
    tenant: r.tenant,
    algorithm: r.algorithm,
    publicKey: r.publicKey,
    status: r.status,
    createdAt: r.createdAt,
    retiredAt: r.retiredAt,
    verifiesUntil: r.verifiesUntil,
  }));
}

const P = 2n ** 255n - 19n;
const D = (((-121665n * modPow(121666n, P - 2n)) % P) + P) % P;

function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = ((base % P) + P) % P;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

/**
 * True when the 32 bytes are a valid compressed Ed25519 point (RFC 8032 section 5.1.3: y below
 * the field prime, (y² − 1)/(d·y² + 1) a square) that is not of small order. A key that fails
 * this could never verify an honest signature; better refused at the form.
 */
export function isEd25519Point(publicKey: string): boolean {
  const raw = Buffer.from(publicKey.slice("ed25519/".length), "hex");
  if (raw.length !== 32) return false;
  const sign = (raw[31] as number) >> 7;
  let y = 0n;
  for (let i = 31; i >= 0; i--)
    y = (y << 8n) | BigInt(i === 31 ? (raw[i] as number) & 0x7f : (raw[i] as number));
  if (y >= P) return false;
  const y2 = (y * y) % P;
  const u = (y2 - 1n + P) % P;
  const v = (D * y2 + 1n) % P;
  const x2 = (u * modPow(v, P - 2n)) % P;
  // x = 0: the identity (y = 1) or the point of order 2 (y = -1), both of small order.
  if (x2 === 0n) return false;
  if (modPow(x2, (P - 1n) / 2n) !== 1n) return false;
  // A point of order 1, 2, 4 or 8 can verify no honest signature: [8]P must not be the identity.
  let x = modPow(x2, (P + 3n) / 8n);
  if ((x * x) % P !== x2) x = (x * SQRT_M1) % P;
  let px = sign ? (P - x) % P : x;
  let py = y;
  for (let i = 0; i < 3; i++) [px, py] = double(px, py);
  return !(px === 0n && py === 1n);
}

const SQRT_M1 = modPow(2n, (P - 1n) / 4n);

/**
 * Affine doubling on -x² + y² = 1 + d·x²·y²: x' = 2xy / (y² − x²), y' = (y² + x²) / (2 − y² + x²).
 * Both denominators are non-zero for every curve point (d is not a square), so no special cases.
 */
function double(x: bigint, y: bigint): [bigint, bigint] {
  const xx = (x * x) % P;
  const yy = (y * y) % P;
  const nx = (2n * x * y) % P;
  const dx = (yy - xx + P) % P;
  const ny = (yy + xx) % P;
  const dy = (2n - yy + xx + 2n * P) % P;
  return [(nx * modPow(dx, P - 2n)) % P, (ny * modPow(dy, P - 2n)) % P];
}

/**
 * Registers a public key the tenant's agent platform signs with (the platform keeps the private
 * half; the console never sees it). Verifiers pick it up from GET /api/v1/keys.
 */
export async function addIssuerKey(
  db: Db,
  authority: Authority,
  input: AddIssuerKeyInput,
  now = new Date(),
): Promise<IssuerKeyRow> {
  assertCan(authority, "tenants.manage");
  assertTenantsInScope(authority, [input.tenant]);
  if (!isEd25519Point(input.publicKey)) throw new ConflictError("That is not a valid Ed25519 public key.");
  if (input.kid.startsWith(CONSOLE_KID_PREFIX))
    throw new ConflictError(`Key ids starting with ${CONSOLE_KID_PREFIX} are the console's own.`);
  const rootKeyId = rootKeyIdOf(input.kid);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('issuer-keys'))`);
    const [tenant] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, input.tenant));
    if (!tenant) throw new NotFoundError("Unknown tenant.");
    // Kids are global (the console key and every tenant's keys share one namespace, and a token
    // names its key by a 32-bit hash of the kid): refuse a taken kid, a colliding hash or a key
    // already registered. Only clashes within the admin's own tenants are named; anything else
    // gets one answer that says nothing about whose it is.
    const clashes = (
      await tx
        .select({ kid: issuers.kid, tenant: issuers.tenant, publicKey: issuers.publicKey })
        .from(issuers)
    ).filter(
      (k) => k.kid === input.kid || k.publicKey === input.publicKey || rootKeyIdOf(k.kid) === rootKeyId,
    );
    const own = clashes.find((k) => k.tenant !== null && authority.tenants.includes(k.tenant));
    if (own?.kid === input.kid) throw new ConflictError(`${input.kid} is already a key of ${own.tenant}.`);
    if (own?.publicKey === input.publicKey)
      throw new ConflictError(`This public key is already registered as ${own.kid} in ${own.tenant}.`);
    if (clashes.length > 0)
      throw new ConflictError("That key id or public key cannot be used; choose another key id or key.");
    const [row] = await tx
      .insert(issuers)
      .values({ kid: input.kid, tenant: input.tenant, publicKey: input.publicKey, createdAt: now })
      .returning();
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.issuer_key.added",
        tenants: [input.tenant],
        resource: { type: "IssuerKey", id: input.kid },
        meta: { publicKey: input.publicKey },
        now,
      }),
    );
    const r = row as typeof issuers.$inferSelect;
    return { ...r, tenant: r.tenant, status: r.status };
  });
}

/**
 * Retires a tenant key: the platform should stop signing with it, and verifiers keep accepting
 * tokens it signed until `now + graceSeconds` (GET /api/v1/keys lists it as retired with
 * verifiesUntil, then no longer at all; the SDK's verifier refuses it from that instant). The
 * console's own key is not retired here: it is rotated by the deployment (CONSOLE_ISSUER_KEY).
 */
export async function retireIssuerKey(
  db: Db,
  authority: Authority,
  input: RetireIssuerKeyInput,
  now = new Date(),
): Promise<IssuerKeyRow> {
  assertCan(authority, "tenants.manage");
  return db.transaction(async (tx) => {
    const [key] = await tx.select().from(issuers).where(eq(issuers.kid, input.kid)).for("update");
    // Another tenant's key, or the console's own, is "unknown" here.
    if (!key || key.tenant === null || !authority.tenants.includes(key.tenant))
      throw new NotFoundError("Unknown issuer key.");
    if (key.status === "retired") throw new ConflictError(`${key.kid} is already retired.`);
    const verifiesUntil = new Date(now.getTime() + input.graceSeconds * 1000);
    const [row] = await tx
      .update(issuers)
      .set({ status: "retired", retiredAt: now, verifiesUntil })
      .where(and(eq(issuers.kid, key.kid), eq(issuers.status, "active")))
      .returning();
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.issuer_key.retired",
        tenants: [key.tenant],
        resource: { type: "IssuerKey", id: key.kid },
        meta: { graceSeconds: input.graceSeconds, verifiesUntil: verifiesUntil.toISOString() },
        now,
      }),
    );
    const r = row as typeof issuers.$inferSelect;
    return { ...r, status: r.status };
  });
}
