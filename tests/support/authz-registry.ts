import { generateKeyPairSync, randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { NextRequest } from "next/server";
import type { Db } from "@/db/client";
import type { Role } from "@/db/schema";
import {
  alertRules,
  alerts,
  apiKeys,
  capabilities,
  escalations,
  issuers,
  revocations,
  savedQueries,
  sessions,
  streamDeadLetters,
  streams,
} from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { checkpointMovedHeads } from "@/lib/audit/checkpointer";
import type { Authority } from "@/lib/auth/authority";
import { generateIssuerKey, type IssuerKeyPair } from "@/lib/capability";
import { insertApiKey } from "@/lib/data/api-keys";
import { issueEscalation, issueEscalationSchema } from "@/lib/data/escalations";
import { uuidv7 } from "@/lib/ids";
import { sealSecret } from "@/lib/streams/secret-box";
import { actFromHereEntries } from "./act-from-here-matrix";
import {
  type CasesMatrixFixtures,
  casesActionEntries,
  casesMarkers,
  createCasesMatrixFixtures,
} from "./cases-matrix";
import { addTenants, PASSWORD, signedIn } from "./fixtures";
import {
  createGatewayMatrixFixtures,
  type GatewayMatrixFixtures,
  gatewayActionEntries,
  gatewayMarkers,
  gatewayRouteEntries,
} from "./gateway-matrix";
import { makeEvent } from "./ingest-fixtures";
import { currentCookieHeader } from "./next-request";

// Issue 6, security test 1: every server action and route handler of the console, who may
// call it and on what scope. tests/integration/authz-matrix.test.ts runs each entry against
// every identity and fails on any export that has no entry here (and any entry without export).

/** The five console identities. globexAdmin is an admin of tenant globex only. */
export const IDENTITIES = ["anonymous", "viewer", "investigator", "admin", "globexAdmin"] as const;
export type Identity = (typeof IDENTITIES)[number];

/**
 * Agent-platform routes (/api/v1/*) authenticate by API key, which carries a tenant but no role.
 * The identities map onto keys: anonymous = no key, globexAdmin = globex's key, and viewer,
 * investigator and admin = acme's key (one cell, since the key is the same); a revoked acme
 * key is a fifth caller of its own.
 */
export const KEY_CALLERS = ["noKey", "revokedKey", "globexKey", "acmeKey"] as const;
export type KeyCaller = (typeof KEY_CALLERS)[number];
export type Caller = Identity | KeyCaller;

/**
 * denied: the guard refuses (no session, wrong role, bad key). refused: the role passes but the
 * target is outside the caller's tenants. scoped: answered within the caller's own tenants, with
 * nothing of acme in it. allowed: succeeds. public: anyone, by design.
 */
export type Expectation = "denied" | "refused" | "scoped" | "allowed" | "public";

export const OP = { tool: "crm.update_order", resourceType: "Order", resourceId: "o_77", action: "write" };
const BASE = "http://console.test";
/** A valid Ed25519 public key nobody registered, for the "add an issuer key" entry. */
const SPARE_PUBLIC_KEY = `ed25519/${generateKeyPairSync("ed25519")
  .publicKey.export({ format: "der", type: "spki" })
  .subarray(-32)
  .toString("hex")}`;
const REASON = "authz matrix";

export interface MatrixFixtures {
  users: Record<Exclude<Identity, "anonymous">, Authority>;
  targetRoleUserId: string;
  targetDisableUserId: string;
  escalation: { approve: string; reject: string; revoke: string; pickup: string; use: string };
  useToken: string;
  introspectToken: string;
  keys: { acme: string; revoked: string; globex: string; spareId: string };
  savedQuery: Record<Exclude<Identity, "anonymous">, string>;
  futureEventId: string;
  /** An event stream of acme's (issue 16). */
  streamId: string;
  /** An alert rule of acme's and an open alert it raised. */
  alert: { ruleId: string; alertId: string };
  /** Two tree checkpoint sizes of acme's Merkle log (issue 15), older first. */
  logSizes: { from: number; to: number };
  /** The MCP gateway (issue 14): an acme client, its open escalation request, and targets. */
  gateway: GatewayMatrixFixtures;
  /** Cases (issue 12): an open acme case per allowed caller. */
  cases: CasesMatrixFixtures;
  /** Facts of tenant acme that nothing may show the globex admin (or globex's key). */
  acmeMarkers: string[];
}

const NAMES = {
  blastSession: "acme-sess-blast",
  revokeSession: "acme-sess-revoke",
  pickupSession: "acme-sess-pickup",
  principalToRevoke: "mallory@acme.example",
  capabilityToRevoke: "acce55c0ffee",
  issuerKid: "acme-issuer-2026",
  oldRevokedSession: "acme-sess-old",
  principalToErase: "erin@acme.example",
};

async function pendingOrActive(
  db: Db,
  over: { status: "pending" | "active"; session: string; delivery?: "console" | "platform" },
) {
  const id = randomUUID();
  const now = new Date();
  await db.insert(escalations).values({
    id,
    tenant: "acme",
    requestedBy: "requester@acme.test",
    grantedBy: over.status === "active" ? "requester@acme.test" : null,
    principal: "alice@acme.example",
    session: over.session,
    agent: "acme-agent",
    operation: OP,
    ttlSeconds: 300,
    reason: "fixture",
    status: over.status,
    delivery: over.delivery ?? "console",
    requestedAt: now,
    issuedAt: over.status === "active" ? now : null,
    expiresAt: over.status === "active" ? new Date(now.getTime() + 300_000) : null,
  });
  return id;
}

/** A stream of acme's to pause, change, replay and delete (its secret is never decrypted here). */
async function insertMatrixStream(db: Db): Promise<string> {
  const id = "st_matrixstream01";
  await db.insert(streams).values({
    tenant: "acme",
    id,
    name: "matrix-stream",
    kind: "jsonl",
    format: "event_v1",
    url: "https://siem.example.com/ingest",
    secretEnc: sealSecret({
      masterSecret: "matrix-secret-0123456789",
      owner: { tenant: "acme", id },
      plain: "",
    }),
    createdBy: "admin@acme.test",
  });
  await db
    .insert(streamDeadLetters)
    .values({ tenant: "acme", streamId: id, seq: 1, eventId: "e-dead", attempts: 9 });
  return id;
}

async function insertMatrixAlert(db: Db): Promise<{ ruleId: string; alertId: string }> {
  const ruleId = "ar_matrixrule01";
  const alertId = uuidv7();
  await db.insert(alertRules).values({
    tenant: "acme",
    id: ruleId,
    name: "matrix rule",
    severity: "high",
    definition: {
      query: "outcome:denied",
      aggregation: { kind: "each" },
      groupBy: [],
      windowMinutes: 5,
      dedupMinutes: 60,
      hours: "any",
    },
    createdBy: "admin@acme.test",
  });
  await db.insert(alerts).values({
    tenant: "acme",
    id: alertId,
    ruleId,
    ruleName: "matrix rule",
    severity: "high",
    dedupKey: "k",
    title: "matrix alert",
    triggerSeq: 1,
    triggerTs: new Date(),
  });
  return { ruleId, alertId };
}

/** Everything the entries aim at, in tenant acme unless named otherwise, on a migrated database. */
export async function createMatrixFixtures(db: Db, consoleKey: IssuerKeyPair): Promise<MatrixFixtures> {
  await addTenants(db, ["acme", "globex"]);
  const users = {
    viewer: await signedIn(db, { email: "viewer@acme.test", role: "viewer", tenants: ["acme"] }),
    investigator: await signedIn(db, {
      email: "investigator@acme.test",
      role: "investigator",
      tenants: ["acme"],
    }),
    admin: await signedIn(db, { email: "admin@acme.test", role: "admin", tenants: ["acme"] }),
    globexAdmin: await signedIn(db, { email: "admin@globex.test", role: "admin", tenants: ["globex"] }),
  };
  const targetRole = await signedIn(db, {
    email: "role-target@acme.test",
    role: "viewer",
    tenants: ["acme"],
  });
  const targetDisable = await signedIn(db, {
    email: "disable-target@acme.test",
    role: "investigator",
    tenants: ["acme"],
  });

  // Tree checkpoints for the log endpoints: one now, one after the fixtures' events.
  const from = (await checkpointMovedHeads(db, { signer: consoleKey })).find((c) => c.tenant === "acme");
  await db.insert(sessions).values(
    [NAMES.blastSession, NAMES.revokeSession, NAMES.pickupSession].map((id) => ({
      id,
      tenant: "acme",
      principal: "alice@acme.example",
      agent: "acme-agent",
    })),
  );
  await db
    .insert(sessions)
    .values({ id: "mallory-sess", tenant: "acme", principal: NAMES.principalToRevoke });
  const now = Date.now();
  await db.insert(capabilities).values({
    id: NAMES.capabilityToRevoke,
    tenant: "acme",
    tokenHash: `sha256:${"ac".repeat(32)}`,
    rootId: NAMES.capabilityToRevoke,
    principal: "alice@acme.example",
    session: NAMES.blastSession,
    kind: "minted",
    issuedAt: new Date(now - 60_000),
    expiresAt: new Date(now + 3_600_000),
  });
  const issuer = await generateIssuerKey(NAMES.issuerKid);
  await db.insert(issuers).values([
    { kid: issuer.kid, tenant: "acme", publicKey: issuer.publicKey },
    { kid: consoleKey.kid, tenant: null, publicKey: consoleKey.publicKey },
  ]);
  await db.insert(revocations).values({
    tenant: "acme",
    cursor: 1,
    kind: "session",
    target: NAMES.oldRevokedSession,
    reason: "fixture",
    actor: "admin@acme.test",
  });

  const acmeKey = await insertApiKey(db, { tenant: "acme", source: "platform", createdBy: "fixture" });
  const revokedKey = await insertApiKey(db, { tenant: "acme", source: "retired", createdBy: "fixture" });
  await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, revokedKey.id));
  const globexKey = await insertApiKey(db, { tenant: "globex", source: "platform", createdBy: "fixture" });
  const spareKey = await insertApiKey(db, { tenant: "acme", source: "spare", createdBy: "fixture" });

  const escalation = {
    approve: await pendingOrActive(db, { status: "pending", session: "acme-sess-approve" }),
    reject: await pendingOrActive(db, { status: "pending", session: "acme-sess-reject" }),
    revoke: await pendingOrActive(db, { status: "active", session: "acme-sess-esc-revoke" }),
    pickup: await pendingOrActive(db, {
      status: "active",
      session: NAMES.pickupSession,
      delivery: "platform",
    }),
    use: "",
  };
  const grant = (session: string) =>
    issueEscalation(
      db,
      users.admin,
      issueEscalationSchema.parse({
        tenant: "acme",
        principal: "alice@acme.example",
        session,
        ...OP,
        reason: REASON,
      }),
      { consoleKey },
    );
  const used = await grant("acme-sess-use");
  escalation.use = used.id;
  const introspected = await grant("acme-sess-introspect");

  const savedQuery = {} as MatrixFixtures["savedQuery"];
  for (const [who, authority] of Object.entries(users) as [keyof typeof users, Authority][]) {
    const [row] = await db
      .insert(savedQueries)
      .values({ userId: authority.userId, name: `${who} query`, query: "outcome:denied" })
      .returning({ id: savedQueries.id });
    savedQuery[who] = row?.id ?? "";
  }

  // An acme event dated in the future (an hour: only the chain writer, not ingest, takes that).
  const futureEventId = uuidv7(now);
  await db.transaction((tx) =>
    appendEvents(tx, [
      {
        id: futureEventId,
        ts: new Date(now + 3_600_000),
        tenant: "acme",
        type: "tool.call",
        principal: "alice@acme.example",
        session: NAMES.blastSession,
        tool: "crm.lookup",
        outcome: "allowed",
        meta: {},
      },
      // An erasable event of a person nobody else in the matrix uses (eraseSubjectAction).
      {
        id: uuidv7(now),
        ts: new Date(now - 60_000),
        tenant: "acme",
        type: "tool.call",
        principal: NAMES.principalToErase,
        tool: "mail.read",
        outcome: "allowed",
        meta: { note: "erase me" },
        contentVersion: 2,
      },
    ]),
  );

  const gateway = await createGatewayMatrixFixtures(db, users.admin);
  const cases = await createCasesMatrixFixtures(db, users);

  const to = (await checkpointMovedHeads(db, { signer: consoleKey })).find((c) => c.tenant === "acme");
  return {
    users,
    logSizes: { from: from?.tree?.size ?? 0, to: to?.tree?.size ?? 0 },
    targetRoleUserId: targetRole.userId,
    targetDisableUserId: targetDisable.userId,
    escalation,
    useToken: used.token ?? "",
    introspectToken: introspected.token ?? "",
    keys: { acme: acmeKey.key, revoked: revokedKey.key, globex: globexKey.key, spareId: spareKey.id },
    streamId: await insertMatrixStream(db),
    alert: await insertMatrixAlert(db),
    savedQuery,
    futureEventId,
    gateway,
    cases,
    acmeMarkers: [
      ...gatewayMarkers(gateway),
      ...casesMarkers(cases),
      "acme",
      ...Object.values(NAMES),
      ...Object.values(escalation),
      targetRole.userId,
      targetDisable.userId,
      users.viewer.userId,
      users.investigator.userId,
      users.admin.userId,
      spareKey.id,
      acmeKey.id,
      savedQuery.viewer,
      savedQuery.investigator,
      savedQuery.admin,
      futureEventId,
    ],
  };
}

// --- The registry -----------------------------------------------------------------------

export interface ActionEntry {
  kind: "action";
  file: string;
  name: string;
  /** Roles the guard admits. */
  allow: readonly Role[];
  /** tenant: the input names an acme target. self: the caller's own data (saved queries). */
  scope: "tenant" | "self";
  /** What the globex admin gets when its role is allowed; default refused (tenant), allowed (self). */
  foreign?: "refused" | "scoped";
  args(f: MatrixFixtures, who: Identity): unknown[];
  /** A success writes nothing to the database (otherwise the test checks that it did). */
  readOnly?: true;
}

export interface RouteEntry {
  kind: "route";
  file: string;
  method: string;
  auth: "public" | "session" | "apiKey";
  allow?: readonly Role[];
  /** For the globex admin or globex's key; default scoped. */
  foreign?: "refused" | "scoped";
  request(f: MatrixFixtures, caller: Caller): Request;
  /** The route's second argument (dynamic segments). */
  context?(f: MatrixFixtures): unknown;
  /** A streamed answer: read this long, then cancel. */
  streamMs?: number;
  /** Something the allowed caller's answer must show, proving the leak check has teeth. */
  shows?(f: MatrixFixtures): string;
  /** A success writes nothing to the database (otherwise the test checks that it did). */
  readOnly?: true;
}

export type RegistryEntry = ActionEntry | RouteEntry;

export const entryKey = (e: RegistryEntry) => `${e.file}#${e.kind === "action" ? e.name : e.method}`;

const ALL: readonly Role[] = ["viewer", "investigator", "admin"];
const ADMIN: readonly Role[] = ["admin"];

function form(values: Record<string, string | string[]>): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(values)) for (const item of [v].flat()) fd.append(k, item);
  return fd;
}

const keyOf = (f: MatrixFixtures, caller: Caller): string | null =>
  caller === "acmeKey"
    ? f.keys.acme
    : caller === "globexKey"
      ? f.keys.globex
      : caller === "revokedKey"
        ? f.keys.revoked
        : null;

function keyRequest(f: MatrixFixtures, caller: Caller, path: string, body?: unknown): Request {
  const key = keyOf(f, caller);
  return new Request(`${BASE}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      "content-type": "application/json",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const browserRequest = (path: string, init: { method?: string; body?: string; type?: string } = {}) =>
  new NextRequest(`${BASE}${path}`, {
    method: init.method ?? "GET",
    headers: { ...currentCookieHeader(), ...(init.type ? { "content-type": init.type } : {}) },
    body: init.body,
  });

const action = (
  file: string,
  name: string,
  rest: Omit<ActionEntry, "kind" | "file" | "name">,
): ActionEntry => ({ kind: "action", file: `app/(console)/${file}`, name, ...rest });

export const REGISTRY: RegistryEntry[] = [
  action("actions.ts", "switchTenant", { allow: ALL, scope: "tenant", readOnly: true, args: () => ["acme"] }),
  action("events/actions.ts", "saveQueryAction", {
    allow: ALL,
    scope: "self",
    args: (_f, who) => [{ name: `${who} saved`, query: "outcome:denied" }],
  }),
  action("events/actions.ts", "deleteSavedQueryAction", {
    allow: ALL,
    scope: "self",
    // The globex admin aims at the acme viewer's query: it must stay, and nothing may say it exists.
    foreign: "scoped",
    args: (f, who) => [
      { id: who === "globexAdmin" || who === "anonymous" ? f.savedQuery.viewer : f.savedQuery[who] },
    ],
  }),
  action("admin/actions.ts", "createConsoleUserAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [
      null,
      form({ email: "new-user@acme.test", role: "viewer", tenants: ["acme"], password: PASSWORD }),
    ],
  }),
  action("admin/actions.ts", "setConsoleUserRoleAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ userId: f.targetRoleUserId, role: "investigator" }],
  }),
  action("admin/actions.ts", "setConsoleUserDisabledAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ userId: f.targetDisableUserId, disabled: true }],
  }),
  action("admin/keys-actions.ts", "createApiKeyAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [null, form({ tenant: "acme", source: "matrix-new" })],
  }),
  action("admin/keys-actions.ts", "revokeApiKeyAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ id: f.keys.spareId }],
  }),
  action("admin/keys-actions.ts", "verifyAuditLogAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [{ tenant: "acme" }],
  }),
  action("admin/tenant-actions.ts", "setTenantPolicyAction", {
    allow: ADMIN,
    scope: "tenant",
    // A higher TTL cap (a relaxation: the sign-in is fresh), two-person rule left off, so the
    // escalation entries below (300-second fixtures) keep working.
    args: () => [null, form({ tenant: "acme", escalationMaxTtlSeconds: "600" })],
  }),
  action("admin/tenant-actions.ts", "setTenantRetentionAction", {
    allow: ADMIN,
    scope: "tenant",
    // Ten years: nothing in the fixtures is that old, so no later entry loses a row.
    args: () => [null, form({ tenant: "acme", retentionDays: "3650" })],
  }),
  action("admin/erase-actions.ts", "eraseSubjectAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [
      null,
      form({
        tenant: "acme",
        subject: NAMES.principalToErase,
        confirm: NAMES.principalToErase,
        reference: "DSR-matrix",
      }),
    ],
  }),
  action("admin/tenant-actions.ts", "addIssuerKeyAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [null, form({ tenant: "acme", kid: "acme-matrix-added", publicKey: SPARE_PUBLIC_KEY })],
  }),
  action("admin/tenant-actions.ts", "retireIssuerKeyAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [{ kid: NAMES.issuerKid, graceSeconds: 3600 }],
  }),
  action("escalations/actions.ts", "issueEscalationAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [
      null,
      form({
        tenant: "acme",
        principal: "alice@acme.example",
        session: "acme-sess-issued",
        ...OP,
        reason: REASON,
      }),
    ],
  }),
  action("escalations/actions.ts", "approveEscalationAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ id: f.escalation.approve }],
  }),
  action("escalations/actions.ts", "rejectEscalationAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ id: f.escalation.reject, reason: REASON }],
  }),
  action("escalations/actions.ts", "revokeEscalationAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ escalationId: f.escalation.revoke, reason: REASON }],
  }),
  action("sessions/actions.ts", "getBlastRadiusAction", {
    allow: ADMIN,
    readOnly: true,
    scope: "tenant",
    args: () => [{ kind: "session", session: NAMES.blastSession }],
  }),
  action("sessions/actions.ts", "revokeSessionAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [{ session: NAMES.revokeSession, reason: REASON }],
  }),
  action("sessions/actions.ts", "revokePrincipalAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [{ tenant: "acme", principal: NAMES.principalToRevoke, reason: REASON }],
  }),
  action("sessions/actions.ts", "revokeCapabilityAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [{ capabilityId: NAMES.capabilityToRevoke, reason: REASON }],
  }),

  action("streams/actions.ts", "createStreamAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [
      null,
      form({
        tenant: "acme",
        name: "matrix-new",
        kind: "jsonl",
        format: "ocsf",
        url: "http://127.0.0.1:9/collector",
        allowPrivate: "on",
      }),
    ],
  }),
  action("streams/actions.ts", "setStreamStatusAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ tenant: "acme", id: f.streamId, to: "paused" }],
  }),
  action("streams/actions.ts", "updateStreamFilterAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ tenant: "acme", id: f.streamId, filter: "type:tool.call" }],
  }),
  action("streams/actions.ts", "replayStreamAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ tenant: "acme", id: f.streamId, from: new Date(0) }],
  }),
  action("streams/actions.ts", "requeueDeadLettersAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ tenant: "acme", id: f.streamId }],
  }),
  action("streams/actions.ts", "deleteStreamAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ tenant: "acme", id: f.streamId }],
  }),

  action("alerts/actions.ts", "triageAlertAction", {
    allow: ["investigator", "admin"],
    scope: "tenant",
    args: (f, caller) => [
      { tenant: "acme", id: f.alert.alertId, to: caller === "admin" ? "resolved" : "acknowledged" },
    ],
  }),
  action("alerts/actions.ts", "createAlertRuleAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [
      {
        tenant: "acme",
        name: "matrix new rule",
        severity: "low",
        definition: { query: "type:tool.call", aggregation: { kind: "each" } },
      },
    ],
  }),
  action("alerts/actions.ts", "backtestAlertRuleAction", {
    allow: ADMIN,
    scope: "tenant",
    readOnly: true,
    args: () => [
      { tenant: "acme", definition: { query: "outcome:denied", aggregation: { kind: "each" } }, days: 7 },
    ],
  }),
  action("alerts/actions.ts", "setBusinessHoursAction", {
    allow: ADMIN,
    scope: "tenant",
    args: () => [
      { tenant: "acme", timeZone: "Europe/Paris", days: [1, 2, 3, 4, 5], start: "08:00", end: "19:00" },
    ],
  }),
  action("alerts/actions.ts", "setAlertRuleEnabledAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ tenant: "acme", id: f.alert.ruleId, enabled: false }],
  }),
  action("alerts/actions.ts", "deleteAlertRuleAction", {
    allow: ADMIN,
    scope: "tenant",
    args: (f) => [{ tenant: "acme", id: f.alert.ruleId }],
  }),
  // Route handlers. Browser routes read the session cookie through next/headers.
  {
    kind: "route",
    file: "app/api/health/route.ts",
    readOnly: true,
    method: "GET",
    auth: "public",
    request: () => new Request(`${BASE}/api/health`),
  },
  {
    kind: "route",
    file: "app/api/auth/[...nextauth]/route.ts",
    readOnly: true,
    method: "GET",
    auth: "public",
    request: () => browserRequest("/api/auth/session"),
    context: () => ({ params: Promise.resolve({ nextauth: ["session"] }) }),
  },
  {
    kind: "route",
    // A password sign-in without the CSRF token: must be turned away before any password check.
    file: "app/api/auth/[...nextauth]/route.ts",
    readOnly: true,
    method: "POST",
    auth: "public",
    request: () =>
      browserRequest("/api/auth/callback/credentials", {
        method: "POST",
        type: "application/x-www-form-urlencoded",
        body: new URLSearchParams({ email: "admin@acme.test", password: PASSWORD }).toString(),
      }),
    context: () => ({ params: Promise.resolve({ nextauth: ["callback", "credentials"] }) }),
  },
  {
    kind: "route",
    file: "app/api/events/export/route.ts",
    method: "GET",
    auth: "session",
    allow: ALL,
    request: () => browserRequest("/api/events/export?format=jsonl"),
    shows: (f) => f.futureEventId,
  },
  {
    kind: "route",
    file: "app/(console)/evidence/export/route.ts",
    method: "GET",
    auth: "session",
    allow: ["investigator", "admin"],
    request: () => browserRequest("/evidence/export?kind=query&q="),
    shows: (f) => f.futureEventId,
  },
  {
    kind: "route",
    file: "app/api/events/stream/route.ts",
    readOnly: true,
    method: "GET",
    auth: "session",
    allow: ALL,
    // The tail opens with the latest matching events of the chain: the fixture's event among them.
    request: () =>
      browserRequest(
        `/api/events/stream?${new URLSearchParams({ q: `session:${NAMES.blastSession} tool:crm.lookup` })}`,
      ),
    streamMs: 1500,
    shows: (f) => f.futureEventId,
  },

  // Agent-platform routes: the API key fixes the tenant.
  {
    kind: "route",
    file: "app/api/v1/events/route.ts",
    method: "POST",
    auth: "apiKey",
    foreign: "refused",
    request: (f, c) =>
      keyRequest(f, c, "/api/v1/events", { events: [makeEvent("acme", { id: MATRIX_EVENT })] }),
  },
  {
    kind: "route",
    file: "app/api/v1/keys/route.ts",
    readOnly: true,
    method: "GET",
    auth: "apiKey",
    request: (f, c) => keyRequest(f, c, "/api/v1/keys"),
    shows: () => NAMES.issuerKid,
  },
  {
    kind: "route",
    file: "app/api/v1/revocations/route.ts",
    readOnly: true,
    method: "GET",
    auth: "apiKey",
    request: (f, c) => keyRequest(f, c, "/api/v1/revocations"),
    shows: () => NAMES.oldRevokedSession,
  },
  {
    kind: "route",
    file: "app/api/v1/introspect/route.ts",
    readOnly: true,
    method: "POST",
    auth: "apiKey",
    request: (f, c) => keyRequest(f, c, "/api/v1/introspect", { token: f.introspectToken }),
    shows: () => "alice@acme.example",
  },
  {
    kind: "route",
    file: "app/api/v1/escalations/route.ts",
    method: "GET",
    auth: "apiKey",
    request: (f, c) => keyRequest(f, c, `/api/v1/escalations?session=${NAMES.pickupSession}`),
    shows: (f) => f.escalation.pickup,
  },
  {
    kind: "route",
    file: "app/api/v1/escalations/[id]/use/route.ts",
    method: "POST",
    auth: "apiKey",
    foreign: "refused",
    request: (f, c) =>
      keyRequest(f, c, `/api/v1/escalations/${f.escalation.use}/use`, { token: f.useToken, operation: OP }),
    context: (f) => ({ params: Promise.resolve({ id: f.escalation.use }) }),
  }, // Last: the escalation above lives 60 s from the fixtures, and these add a few seconds.
  {
    kind: "route",
    file: "app/api/v1/log/checkpoint/route.ts",
    readOnly: true,
    method: "GET",
    auth: "apiKey",
    request: (f, c) => keyRequest(f, c, "/api/v1/log/checkpoint"),
    shows: () => "/acme\n",
  },
  {
    kind: "route",
    file: "app/api/log/checkpoint/route.ts",
    readOnly: true,
    method: "GET",
    auth: "session",
    allow: ALL,
    foreign: "refused",
    request: () => browserRequest("/api/log/checkpoint?tenant=acme"),
    shows: () => "/acme\n",
  },
  {
    kind: "route",
    file: "app/api/v1/log/keys/route.ts",
    readOnly: true,
    method: "GET",
    auth: "apiKey",
    request: (f, c) => keyRequest(f, c, "/api/v1/log/keys"),
    shows: () => "/acme+",
  },
  {
    kind: "route",
    file: "app/api/log/keys/route.ts",
    readOnly: true,
    method: "GET",
    auth: "session",
    allow: ALL,
    foreign: "refused",
    request: () => browserRequest("/api/log/keys?tenant=acme"),
    shows: () => "/acme+",
  },
  {
    kind: "route",
    file: "app/api/v1/log/proof/inclusion/route.ts",
    readOnly: true,
    method: "GET",
    auth: "apiKey",
    request: (f, c) => keyRequest(f, c, `/api/v1/log/proof/inclusion?event=${f.futureEventId}`),
    shows: () => "/acme\n",
  },
  {
    kind: "route",
    file: "app/api/log/proof/inclusion/route.ts",
    readOnly: true,
    method: "GET",
    auth: "session",
    allow: ALL,
    foreign: "refused",
    request: (f) => browserRequest(`/api/log/proof/inclusion?tenant=acme&event=${f.futureEventId}`),
    shows: () => "/acme\n",
  },
  {
    kind: "route",
    file: "app/api/v1/log/proof/consistency/route.ts",
    readOnly: true,
    method: "GET",
    auth: "apiKey",
    request: (f, c) =>
      keyRequest(f, c, `/api/v1/log/proof/consistency?from=${f.logSizes.from}&to=${f.logSizes.to}`),
  },
  {
    kind: "route",
    file: "app/api/log/proof/consistency/route.ts",
    readOnly: true,
    method: "GET",
    auth: "session",
    allow: ALL,
    foreign: "refused",
    request: (f) =>
      browserRequest(`/api/log/proof/consistency?tenant=acme&from=${f.logSizes.from}&to=${f.logSizes.to}`),
  },
  // OTLP traces: the key fixes the tenant (a body names none), so globex's key stores under globex.
  // Last, so the escalation fixtures above (60 s grants) are used as early as before.
  ...(["app/api/v1/otlp/route.ts", "app/api/v1/otlp/v1/traces/route.ts"] as const).map(
    (file, i): RouteEntry => ({
      kind: "route",
      file,
      method: "POST",
      auth: "apiKey",
      foreign: "scoped",
      request: (f, c) =>
        keyRequest(f, c, file.includes("v1/traces") ? "/api/v1/otlp/v1/traces" : "/api/v1/otlp", {
          resourceSpans: [
            {
              scopeSpans: [
                {
                  spans: [
                    {
                      traceId: "8bf92f3577b34da6a3ce929d0e0e4736",
                      spanId: `a1a1a1a1a1a1a1a${i}`,
                      name: "execute_tool crm.lookup",
                      startTimeUnixNano: "1795689000000000000",
                      endTimeUnixNano: "1795689000100000000",
                      attributes: [
                        { key: "gen_ai.operation.name", value: { stringValue: "execute_tool" } },
                        { key: "gen_ai.tool.name", value: { stringValue: "crm.lookup" } },
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        }),
    }),
  ),
  // The MCP gateway's actions and routes (issue 14): last, so the 60-second escalation fixtures
  // above are used as early as before.
  ...gatewayActionEntries(),
  ...gatewayRouteEntries(keyRequest),
  ...casesActionEntries(),
  ...actFromHereEntries(browserRequest),
];

/** The ingest entry's event id, fixed so a retry is the same event. */
const MATRIX_EVENT = "019a0000-0000-7000-8000-00000000a11a";

const ROLE_OF: Record<Exclude<Identity, "anonymous">, Role> = {
  viewer: "viewer",
  investigator: "investigator",
  admin: "admin",
  globexAdmin: "admin",
};

export function callersOf(entry: RegistryEntry): readonly Caller[] {
  return entry.kind === "route" && entry.auth === "apiKey" ? KEY_CALLERS : IDENTITIES;
}

export function expectationOf(entry: RegistryEntry, caller: Caller): Expectation {
  if (entry.kind === "route" && entry.auth === "public") return "public";
  if (entry.kind === "route" && entry.auth === "apiKey") {
    if (caller === "acmeKey") return "allowed";
    if (caller === "globexKey") return entry.foreign ?? "scoped";
    return "denied";
  }
  if (caller === "anonymous") return "denied";
  const role = ROLE_OF[caller as Exclude<Identity, "anonymous">];
  if (!(entry.allow ?? []).includes(role)) return "denied";
  if (caller !== "globexAdmin") return "allowed";
  if (entry.kind === "action" && entry.scope === "self") return entry.foreign ?? "allowed";
  return entry.foreign ?? (entry.kind === "action" ? "refused" : "scoped");
}

const ORDER: Record<Expectation, number> = { denied: 0, refused: 1, scoped: 2, public: 3, allowed: 4 };

/** Refusals first, successes last: each entry's target is still intact when a refusal is checked. */
export function orderedCallers(entry: RegistryEntry): Caller[] {
  return [...callersOf(entry)].sort(
    (a, b) => ORDER[expectationOf(entry, a)] - ORDER[expectationOf(entry, b)],
  );
}
