// The one source of types for the console's data. Later issues extend it by new migrations
// (npm run db:generate), never by `push`.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  date,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

// Raw bytes (hashes): node-postgres reads bytea as a Buffer, PGlite as a Uint8Array.
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
  toDriver: (value) => Buffer.from(value),
  fromDriver: (value) => Uint8Array.from(value),
});

// Enums are declared once here; zod schemas and URL parsers take their values from `.enumValues`.
export const roleEnum = pgEnum("console_role", ["viewer", "investigator", "admin"]);
export const outcomeEnum = pgEnum("event_outcome", ["allowed", "denied", "error"]);
export const capabilityKindEnum = pgEnum("capability_kind", ["minted", "attenuated", "escalation"]);
export const revocationKindEnum = pgEnum("revocation_kind", [
  "session",
  "capability",
  "principal",
  "escalation",
]);
export const issuerStatusEnum = pgEnum("issuer_status", ["active", "retired"]);
export const escalationStatusEnum = pgEnum("escalation_status", [
  "pending",
  "active",
  "used",
  "expired",
  "revoked",
  "rejected",
]);

// Issue 13: attested events come from a capability-enforcing platform (POST /api/v1/events, the
// gateway, the console itself); observed events are read from OpenTelemetry traces.
export const eventTierEnum = pgEnum("event_tier", ["attested", "observed"]);
export const EVENT_TIERS = eventTierEnum.enumValues;
export type EventTier = (typeof EVENT_TIERS)[number];
export const escalationDeliveryEnum = pgEnum("escalation_delivery", ["console", "platform"]);

export const ROLES = roleEnum.enumValues;
export type Role = (typeof ROLES)[number];
export const OUTCOMES = outcomeEnum.enumValues;
export type Outcome = (typeof OUTCOMES)[number];

export const tenants = pgTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  // Per-tenant policy, e.g. { twoPersonEscalations: true }.
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
  createdAt: ts("created_at").notNull().defaultNow(),
});

export const issuers = pgTable("issuers", {
  kid: text("kid").primaryKey(),
  tenant: text("tenant"),
  algorithm: text("algorithm").notNull().default("ed25519"),
  publicKey: text("public_key").notNull(),
  status: issuerStatusEnum("status").notNull().default("active"),
  createdAt: ts("created_at").notNull().defaultNow(),
  retiredAt: ts("retired_at"),
  // A retired key still verifies until this instant (the grace period).
  verifiesUntil: ts("verifies_until"),
});

export const capabilities = pgTable(
  "capabilities",
  {
    // The revocation id (hex) of the token's last block; unique within its tenant only.
    id: text("id").notNull(),
    tenant: text("tenant").notNull(),
    tokenHash: text("token_hash").notNull(),
    parentId: text("parent_id"),
    rootId: text("root_id").notNull(),
    // Capability ids from the root down to the parent (excluding this one).
    ancestors: text("ancestors").array().notNull().default(sql`'{}'::text[]`),
    depth: integer("depth").notNull().default(0),
    issuerKid: text("issuer_kid"),
    principal: text("principal"),
    agent: text("agent"),
    session: text("session"),
    request: text("request"),
    summary: jsonb("summary").$type<Record<string, unknown>>().notNull().default({}),
    kind: capabilityKindEnum("kind").notNull(),
    issuedAt: ts("issued_at"),
    expiresAt: ts("expires_at"),
    firstSeenAt: ts("first_seen_at").notNull().defaultNow(),
  },
  (t) => [
    // Tenant first in every key (DESIGN.md, Storage and scale): two tenants' platforms may send
    // the same id, and neither may learn of or displace the other's row.
    primaryKey({ name: "capabilities_pkey", columns: [t.tenant, t.id] }),
    index("capabilities_tenant_issued_idx").on(t.tenant, t.issuedAt),
    index("capabilities_tenant_parent_idx").on(t.tenant, t.parentId),
    index("capabilities_tenant_root_idx").on(t.tenant, t.rootId),
    index("capabilities_tenant_request_idx").on(t.tenant, t.request),
    index("capabilities_tenant_session_idx").on(t.tenant, t.session),
    index("capabilities_tenant_principal_idx").on(t.tenant, t.principal, t.issuedAt),
    index("capabilities_ancestors_gin").using("gin", t.ancestors),
    index("capabilities_summary_gin").using("gin", t.summary.op("jsonb_path_ops")),
  ],
);

export const events = pgTable(
  "events",
  {
    // Client-generated (UUIDv7 or ULID): the idempotency key, within its tenant.
    id: text("id").notNull(),
    ts: ts("ts").notNull(),
    receivedAt: ts("received_at").notNull().defaultNow(),
    tenant: text("tenant").notNull(),
    type: text("type").notNull(),
    principal: text("principal"),
    agent: text("agent"),
    session: text("session"),
    request: text("request"),
    traceId: text("trace_id"),
    spanId: text("span_id"),
    tool: text("tool"),
    action: text("action"),
    resourceType: text("resource_type"),
    resourceId: text("resource_id"),
    fields: text("fields").array(),
    outcome: outcomeEnum("outcome").notNull(),
    reason: text("reason"),
    capabilityId: text("capability_id"),
    capabilityHash: text("capability_hash"),
    inputDigest: text("input_digest"),
    latencyMs: integer("latency_ms"),
    cost: doublePrecision("cost"),
    meta: jsonb("meta").$type<Record<string, unknown>>().notNull().default({}),
    tier: eventTierEnum("tier").notNull().default("attested"),
    // 1: the content hash covers every field in clear. 2 (issue 17, lib/audit/subjects.ts): it
    // covers salted commitments of principal and meta, so the subject can be erased.
    contentVersion: smallint("content_version").notNull().default(1),
    // Set when the subject was erased: the commitments the content hash covers, by field.
    erased: jsonb("erased").$type<Record<string, string>>(),
    // sha256 of the event as accepted: a retry with the same id and other content is a conflict.
    contentHash: text("content_hash").notNull(),
    // Tamper evidence: a per-tenant hash chain in commit order.
    seq: bigint("seq", { mode: "number" }).notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [
    // Partitioned by month of received_at (migration 0010, db/partitions.ts): PostgreSQL wants the
    // partition column in every unique key. Id, seq and span stay unique per tenant because every
    // writer checks them under the tenant's chain-head lock before inserting.
    primaryKey({ name: "events_pkey", columns: [t.tenant, t.id, t.receivedAt] }),
    uniqueIndex("events_tenant_seq_uidx").on(t.tenant, t.seq, t.receivedAt),
    index("events_tenant_ts_idx").on(t.tenant, t.ts, t.id),
    index("events_tenant_principal_ts_idx").on(t.tenant, t.principal, t.ts),
    index("events_tenant_capability_idx").on(t.tenant, t.capabilityId),
    index("events_tenant_request_idx").on(t.tenant, t.request),
    index("events_tenant_session_idx").on(t.tenant, t.session),
    index("events_tenant_type_ts_idx").on(t.tenant, t.type, t.ts),
    // An observed event is stored once per span, however often its exporter retries.
    uniqueIndex("events_tenant_observed_span_uidx")
      .on(t.tenant, t.traceId, t.spanId, t.receivedAt)
      .where(sql`${t.tier} = 'observed'`),
    check(
      "events_observed_span_check",
      sql`${t.tier} = 'attested' OR (${t.traceId} IS NOT NULL AND ${t.spanId} IS NOT NULL)`,
    ),
  ],
);

// The head of each tenant's hash chain. Appends lock this row, so a tenant's events get
// consecutive sequence numbers in commit order.
export const chainHeads = pgTable("chain_heads", {
  tenant: text("tenant").primaryKey(),
  seq: bigint("seq", { mode: "number" }).notNull(),
  hash: text("hash").notNull(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const sessions = pgTable(
  "sessions",
  {
    id: text("id").notNull(),
    tenant: text("tenant").notNull(),
    principal: text("principal").notNull(),
    agent: text("agent"),
    startedAt: ts("started_at").notNull().defaultNow(),
    lastSeenAt: ts("last_seen_at"),
    // Set only by the console's own revocation (lib/data/revocations.ts): revoked_by is always a
    // console user, and the revocation is in the verifier feed.
    revokedAt: ts("revoked_at"),
    revokedBy: text("revoked_by"),
    revokeReason: text("revoke_reason"),
    // What an agent platform reported through ingest (session.revoked / principal.revoked): shown
    // as "reported by platform <source>", never under a console user's name, and never a reason
    // to refuse the console's own revocation.
    reportedRevokedAt: ts("reported_revoked_at"),
    reportedBy: text("reported_by"),
    reportedReason: text("reported_reason"),
  },
  (t) => [
    primaryKey({ name: "sessions_pkey", columns: [t.tenant, t.id] }),
    index("sessions_tenant_principal_idx").on(t.tenant, t.principal),
  ],
);

export const revocations = pgTable(
  "revocations",
  {
    id: uuid("id").notNull().defaultRandom(),
    // The feed position verifiers poll with ?since=CURSOR, per tenant: the next one is the
    // tenant's highest plus one, taken under the tenant's chain-head lock (insertRevocation).
    // Rows from before migration 0003 keep their old (global) numbers, so old cursors still hold.
    cursor: bigint("cursor", { mode: "number" }).notNull(),
    tenant: text("tenant").notNull(),
    kind: revocationKindEnum("kind").notNull(),
    target: text("target").notNull(),
    reason: text("reason").notNull(),
    actor: text("actor").notNull(),
    at: ts("at").notNull().defaultNow(),
    // Revocation ids cut by this revocation (the capability and its known descendants).
    revokedIds: text("revoked_ids").array().notNull().default(sql`'{}'::text[]`),
  },
  (t) => [
    primaryKey({ name: "revocations_pkey", columns: [t.tenant, t.id] }),
    uniqueIndex("revocations_tenant_cursor_uidx").on(t.tenant, t.cursor),
  ],
);

export const escalations = pgTable(
  "escalations",
  {
    id: uuid("id").notNull().defaultRandom(),
    tenant: text("tenant").notNull(),
    requestedBy: text("requested_by").notNull(),
    grantedBy: text("granted_by"),
    principal: text("principal").notNull(),
    session: text("session"),
    agent: text("agent"),
    // Exactly one operation: { tool, resourceType, resourceId, action, argDigest? }.
    operation: jsonb("operation").$type<Record<string, unknown>>().notNull(),
    ttlSeconds: integer("ttl_seconds").notNull(),
    reason: text("reason").notNull(),
    singleUse: boolean("single_use").notNull().default(true),
    status: escalationStatusEnum("status").notNull().default("pending"),
    tokenHash: text("token_hash"),
    capabilityId: text("capability_id"),
    requestedAt: ts("requested_at").notNull().defaultNow(),
    issuedAt: ts("issued_at"),
    expiresAt: ts("expires_at"),
    usedAt: ts("used_at"),
    useCount: integer("use_count").notNull().default(0),
    revokedAt: ts("revoked_at"),
    // Issue 6: who receives the token. "console": the admin who issued (or approved) it, once, in
    // the action's answer. "platform": nobody until the agent platform picks it up through
    // GET /api/v1/escalations; the token is minted at that moment and never stored.
    delivery: escalationDeliveryEnum("delivery").notNull().default("console"),
    deliveredAt: ts("delivered_at"),
    revokedBy: text("revoked_by"),
    revokeReason: text("revoke_reason"),
  },
  (t) => [
    primaryKey({ name: "escalations_pkey", columns: [t.tenant, t.id] }),
    index("escalations_tenant_status_idx").on(t.tenant, t.status),
    index("escalations_tenant_session_idx").on(t.tenant, t.session),
  ],
);

// --- Console side -------------------------------------------------------------------------

export const consoleUsers = pgTable("console_users", {
  id: uuid("id").primaryKey().defaultRandom(),
  // Stored lower-cased; the sign-in form lower-cases too.
  email: text("email").notNull().unique(),
  name: text("name"),
  // argon2id; null for users who sign in only through OIDC.
  passwordHash: text("password_hash"),
  role: roleEnum("role").notNull(),
  tenants: text("tenants").array().notNull(),
  disabledAt: ts("disabled_at"),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
  lastLoginAt: ts("last_login_at"),
});

// next-auth's credentials provider forces JWT sessions; each JWT carries the id of one of these
// rows and every request checks it, so signing out or disabling a user takes effect at once.
export const consoleSessions = pgTable(
  "console_sessions",
  {
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => consoleUsers.id, { onDelete: "cascade" }),
    createdAt: ts("created_at").notNull().defaultNow(),
    // When the user last proved who they are (for re-authentication before sensitive actions).
    authTime: ts("auth_time").notNull().defaultNow(),
    lastSeenAt: ts("last_seen_at").notNull().defaultNow(),
    expiresAt: ts("expires_at").notNull(),
    revokedAt: ts("revoked_at"),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [index("console_sessions_user_idx").on(t.userId)],
);

// next-auth's account links (OIDC identities of console users).
export const accounts = pgTable(
  "accounts",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => consoleUsers.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    provider: text("provider").notNull(),
    providerAccountId: text("provider_account_id").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.providerAccountId] })],
);

// next-auth's verification tokens (email sign-in); unused by the credentials and OIDC flows.
export const verificationTokens = pgTable(
  "verification_tokens",
  {
    identifier: text("identifier").notNull(),
    token: text("token").notNull(),
    expires: ts("expires").notNull(),
  },
  (t) => [primaryKey({ columns: [t.identifier, t.token] })],
);

export const loginAttempts = pgTable(
  "login_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    email: text("email").notNull(),
    ip: text("ip").notNull(),
    ok: boolean("ok").notNull(),
    at: ts("at").notNull().defaultNow(),
  },
  (t) => [
    index("login_attempts_email_at_idx").on(t.email, t.at),
    index("login_attempts_ip_at_idx").on(t.ip, t.at),
  ],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").notNull().defaultRandom(),
    tenant: text("tenant").notNull(),
    source: text("source").notNull(),
    // The first characters, shown in lists so a key can be recognised; never the whole key.
    prefix: text("prefix").notNull(),
    // sha256 hex of the whole key (keys are 256-bit random, so a fast hash is enough). Globally
    // unique: a bearer key is looked up before its tenant is known.
    keyHash: text("key_hash").notNull().unique(),
    createdBy: text("created_by").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    lastUsedAt: ts("last_used_at"),
    revokedAt: ts("revoked_at"),
  },
  (t) => [primaryKey({ name: "api_keys_pkey", columns: [t.tenant, t.id] })],
);

export const savedQueries = pgTable(
  "saved_queries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => consoleUsers.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    query: text("query").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [index("saved_queries_user_idx").on(t.userId)],
);

export type Tenant = typeof tenants.$inferSelect;
export type Issuer = typeof issuers.$inferSelect;
export type Capability = typeof capabilities.$inferSelect;
export type NewCapability = typeof capabilities.$inferInsert;
export type Event = typeof events.$inferSelect;
export type NewEvent = typeof events.$inferInsert;
export type Session = typeof sessions.$inferSelect;
export type Revocation = typeof revocations.$inferSelect;
export type Escalation = typeof escalations.$inferSelect;
export type ConsoleUser = typeof consoleUsers.$inferSelect;
export type NewConsoleUser = typeof consoleUsers.$inferInsert;
export type ConsoleSession = typeof consoleSessions.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type SavedQuery = typeof savedQueries.$inferSelect;

// --- Ingest (issue 4) ---------------------------------------------------------------------

// Signed statements "tenant T's chain had head (seq, hash) at signed_at", like CloudTrail digest
// files or Certificate Transparency tree heads: rewriting or truncating the chain below a
// checkpoint cannot be hidden without the console's private key.
export const checkpoints = pgTable(
  "checkpoints",
  {
    // A row identity only (checkpoints are ordered by seq); tenant first in the key (0009).
    id: bigserial("id", { mode: "number" }).notNull(),
    tenant: text("tenant").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    hash: text("hash").notNull(),
    signedAt: ts("signed_at").notNull(),
    kid: text("kid").notNull(),
    // base64url Ed25519 signature over lib/audit/checkpoint.ts's checkpointPayload().
    signature: text("signature").notNull(),
  },
  (t) => [
    primaryKey({ name: "checkpoints_pkey", columns: [t.tenant, t.id] }),
    index("checkpoints_tenant_seq_idx").on(t.tenant, t.seq),
  ],
);

export type Checkpoint = typeof checkpoints.$inferSelect;
export type NewCheckpoint = typeof checkpoints.$inferInsert;

// --- Streams (issue 16) -------------------------------------------------------------------

export const STREAM_KINDS = ["webhook", "splunk_hec", "jsonl"] as const;
export const STREAM_FORMATS = ["ocsf", "ecs", "event_v1"] as const;
export const STREAM_STATUSES = ["active", "paused", "disabled"] as const;
export const STREAM_SIGNINGS = ["v1a", "v1"] as const;

// A tenant's event stream to a SIEM or webhook. `cursor` is the last chain seq delivered (or
// skipped by the filter); the lease lets one console instance deliver it at a time.
export const streams = pgTable(
  "streams",
  {
    tenant: text("tenant").notNull(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    kind: text("kind", { enum: STREAM_KINDS }).notNull(),
    format: text("format", { enum: STREAM_FORMATS }).notNull(),
    url: text("url").notNull(),
    filter: text("filter").notNull().default(""),
    allowPrivate: boolean("allow_private").notNull().default(false),
    signing: text("signing", { enum: STREAM_SIGNINGS }),
    // AES-256-GCM (lib/streams/secret-box.ts): the signing key or collector token.
    secretEnc: text("secret_enc").notNull(),
    // What a receiver checks signatures with (whpk_…), for v1a webhooks; never a secret.
    verifyKey: text("verify_key"),
    status: text("status", { enum: STREAM_STATUSES }).notNull().default("active"),
    statusReason: text("status_reason"),
    cursor: bigint("cursor", { mode: "number" }).notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    failingSince: ts("failing_since"),
    nextAttemptAt: ts("next_attempt_at"),
    lastError: text("last_error"),
    lastSuccessAt: ts("last_success_at"),
    delivered: bigint("delivered", { mode: "number" }).notNull().default(0),
    leaseOwner: text("lease_owner"),
    leaseUntil: ts("lease_until"),
    createdBy: text("created_by").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "streams_pkey", columns: [t.tenant, t.id] }),
    uniqueIndex("streams_tenant_name_uidx").on(t.tenant, t.name),
  ],
);

// Events a stream gave up on after its retry horizon, kept for replay.
export const streamDeadLetters = pgTable(
  "stream_dead_letters",
  {
    tenant: text("tenant").notNull(),
    streamId: text("stream_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    eventId: text("event_id").notNull(),
    attempts: integer("attempts").notNull(),
    lastError: text("last_error"),
    failedAt: ts("failed_at").notNull().defaultNow(),
    // Set when an admin asks for redelivery; the row goes once the event is delivered.
    requeuedAt: ts("requeued_at"),
  },
  (t) => [primaryKey({ name: "stream_dead_letters_pkey", columns: [t.tenant, t.streamId, t.seq] })],
);

export type Stream = typeof streams.$inferSelect;
export type NewStream = typeof streams.$inferInsert;
export type StreamDeadLetter = typeof streamDeadLetters.$inferSelect;

// --- Alerts (issue 16) --------------------------------------------------------------------

export const ALERT_SEVERITIES = ["low", "medium", "high", "critical"] as const;
export const ALERT_STATUSES = ["open", "acknowledged", "suppressed", "resolved"] as const;

// A tenant's standing rule; `definition` is lib/alerts/rule.ts's alertRuleSchema, and `cursor`
// the last chain seq it evaluated (rules are evaluated after ingest commits, never inside it).
export const alertRules = pgTable(
  "alert_rules",
  {
    tenant: text("tenant").notNull(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    severity: text("severity", { enum: ALERT_SEVERITIES }).notNull(),
    definition: jsonb("definition").$type<Record<string, unknown>>().notNull(),
    enabled: boolean("enabled").notNull().default(true),
    cursor: bigint("cursor", { mode: "number" }).notNull().default(0),
    leaseOwner: text("lease_owner"),
    leaseUntil: ts("lease_until"),
    lastError: text("last_error"),
    createdBy: text("created_by").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "alert_rules_pkey", columns: [t.tenant, t.id] }),
    uniqueIndex("alert_rules_tenant_name_uidx").on(t.tenant, t.name),
  ],
);

export const alerts = pgTable(
  "alerts",
  {
    tenant: text("tenant").notNull(),
    id: text("id").notNull(),
    ruleId: text("rule_id").notNull(),
    ruleName: text("rule_name").notNull(),
    severity: text("severity", { enum: ALERT_SEVERITIES }).notNull(),
    dedupKey: text("dedup_key").notNull(),
    title: text("title").notNull(),
    group: jsonb("group").$type<Record<string, string | null>>().notNull().default({}),
    eventIds: text("event_ids").array().notNull().default(sql`'{}'::text[]`),
    triggerSeq: bigint("trigger_seq", { mode: "number" }).notNull(),
    triggerTs: ts("trigger_ts").notNull(),
    status: text("status", { enum: ALERT_STATUSES }).notNull().default("open"),
    openedAt: ts("opened_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    updatedBy: text("updated_by"),
    note: text("note"),
  },
  (t) => [
    primaryKey({ name: "alerts_pkey", columns: [t.tenant, t.id] }),
    index("alerts_tenant_status_idx").on(t.tenant, t.status, t.openedAt),
    index("alerts_rule_dedup_idx").on(t.tenant, t.ruleId, t.dedupKey, t.triggerTs),
  ],
);

export const alertSettings = pgTable("alert_settings", {
  tenant: text("tenant").primaryKey(),
  timeZone: text("time_zone").notNull().default("UTC"),
  businessDays: integer("business_days").array().notNull().default(sql`'{1,2,3,4,5}'::integer[]`),
  businessStart: text("business_start").notNull().default("09:00"),
  businessEnd: text("business_end").notNull().default("18:00"),
  updatedBy: text("updated_by"),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export type AlertRule = typeof alertRules.$inferSelect;
export type Alert = typeof alerts.$inferSelect;
export type AlertSettings = typeof alertSettings.$inferSelect;
// --- Merkle log (issue 15) ------------------------------------------------------------------

// Every complete perfect subtree of a tenant's Merkle tree (RFC 6962 hashing over the events'
// content hashes in seq order): node (level, idx) covers leaves [idx·2^level, (idx+1)·2^level).
// Written by appendEvents in the transaction that appends the events (lib/merkle/store.ts).
export const merkleNodes = pgTable(
  "merkle_nodes",
  {
    tenant: text("tenant").notNull(),
    level: smallint("level").notNull(),
    idx: bigint("idx", { mode: "number" }).notNull(),
    hash: bytea("hash").notNull(),
  },
  (t) => [primaryKey({ name: "merkle_nodes_pkey", columns: [t.tenant, t.level, t.idx] })],
);

// Signed tree heads as C2SP tlog-checkpoint notes (origin "<log origin>/<tenant>"); all kept.
export const treeCheckpoints = pgTable(
  "tree_checkpoints",
  {
    tenant: text("tenant").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    root: bytea("root").notNull(),
    origin: text("origin").notNull(),
    // The whole signed note, exactly as served and put in evidence bundles.
    note: text("note").notNull(),
    signedAt: ts("signed_at").notNull(),
    kid: text("kid").notNull(),
  },
  (t) => [primaryKey({ name: "tree_checkpoints_pkey", columns: [t.tenant, t.size] })],
);

export type TreeCheckpoint = typeof treeCheckpoints.$inferSelect;

// Retention cuts (issue 17; docs/retention.md): the tenant's events up to and including `seq` were
// archived and deleted. Verification starts at the latest cut: the chain hash at seq (a signed
// checkpoint states it) and the Merkle tree of size seq (a signed tree checkpoint).
export const retentionCuts = pgTable(
  "retention_cuts",
  {
    tenant: text("tenant").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    fromSeq: bigint("from_seq", { mode: "number" }).notNull(),
    hash: text("hash").notNull(),
    treeRoot: bytea("tree_root").notNull(),
    before: ts("before").notNull(),
    events: integer("events").notNull(),
    archive: text("archive").notNull(),
    archiveSha256: text("archive_sha256").notNull(),
    cutAt: ts("cut_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: "retention_cuts_pkey", columns: [t.tenant, t.seq] })],
);

export type RetentionCutRow = typeof retentionCuts.$inferSelect;

// Rollups kept at ingest for the Overview (issue 17; lib/audit/rollups.ts, migration 0012).
// Daily: tool calls by UTC day of ts, outcome, principal, agent and (denied only) reason.
export const eventRollupsDaily = pgTable(
  "event_rollups_daily",
  {
    tenant: text("tenant").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    // One dimension per row (migration 0015): "outcome", "principal", "agent" or "reason"
    // (denied calls only). Crossing them made a row per (principal, agent, reason, outcome),
    // nearly as many as the events at ten million.
    dim: text("dim").notNull(),
    value: text("value"),
    n: bigint("n", { mode: "number" }).notNull(),
  },
  // Also event_rollups_daily_cover (tenant, dim, day) INCLUDE (value, n), in migration 0015 only:
  // drizzle cannot declare INCLUDE. It makes the Overview's reads index-only.
  (t) => [unique("event_rollups_daily_key").on(t.tenant, t.dim, t.day, t.value).nullsNotDistinct()],
);

// Hourly: every event by UTC hour of ts and outcome.
export const eventRollupsHourly = pgTable(
  "event_rollups_hourly",
  {
    tenant: text("tenant").notNull(),
    hour: ts("hour").notNull(),
    outcome: outcomeEnum("outcome").notNull(),
    n: bigint("n", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ name: "event_rollups_hourly_pkey", columns: [t.tenant, t.hour, t.outcome] })],
);

// How many capabilities each tenant has (issue 17): the Overview's "Capabilities seen" read a
// count(*) over every capability in view, hundreds of milliseconds at ten million events. Kept by
// the writers of capabilities in the statement's transaction (lib/ingest/capability-counts.ts).
export const capabilityCounts = pgTable("capability_counts", {
  tenant: text("tenant").primaryKey(),
  n: bigint("n", { mode: "number" }).notNull(),
});

// A key per subject (a principal of a tenant) from which the salts of its events' commitments
// are derived (issue 17, lib/audit/subjects.ts). Erasing the subject deletes its key.
export const subjectKeys = pgTable(
  "subject_keys",
  {
    tenant: text("tenant").notNull(),
    subject: text("subject").notNull(),
    key: bytea("key").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: "subject_keys_pkey", columns: [t.tenant, t.subject] })],
);

// --- MCP capability gateway (issue 14) ----------------------------------------------------

export const GATEWAY_SUBJECT_KINDS = ["any", "agent", "group", "principal"] as const;
export const GATEWAY_REQUEST_STATUSES = ["requested", "granted", "dismissed", "expired"] as const;

// A credential an agent presents to the gateway (`gwc_…`), for one principal and agent of a
// tenant. Only its sha256 is kept (globally unique: the gateway looks a bearer up by it).
export const gatewayClients = pgTable(
  "gateway_clients",
  {
    tenant: text("tenant").notNull(),
    id: uuid("id").notNull(),
    name: text("name").notNull(),
    principal: text("principal").notNull(),
    agent: text("agent").notNull(),
    groups: jsonb("groups").$type<string[]>().notNull().default([]),
    credentialHash: text("credential_hash").notNull().unique(),
    // The first characters, shown in lists so a credential can be recognised.
    prefix: text("prefix").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    revokedAt: ts("revoked_at"),
    revokedBy: text("revoked_by"),
  },
  (t) => [primaryKey({ name: "gateway_clients_pkey", columns: [t.tenant, t.id] })],
);

// An allow rule: subject (any client, an agent, a group, a principal), a tool pattern and
// conditions on the call's arguments ({ path, match }[]). Deny by default.
export const gatewayRules = pgTable(
  "gateway_rules",
  {
    tenant: text("tenant").notNull(),
    id: uuid("id").notNull(),
    subjectKind: text("subject_kind", { enum: GATEWAY_SUBJECT_KINDS }).notNull(),
    subjectValue: text("subject_value"),
    tool: text("tool").notNull(),
    arguments: jsonb("arguments").$type<{ path: string; match: string }[]>().notNull().default([]),
    note: text("note").notNull().default(""),
    createdBy: text("created_by").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedBy: text("updated_by"),
    updatedAt: ts("updated_at"),
  },
  (t) => [
    primaryKey({ name: "gateway_rules_pkey", columns: [t.tenant, t.id] }),
    check(
      "gateway_rules_subject_check",
      sql`(${t.subjectKind} = 'any' AND ${t.subjectValue} IS NULL) OR (${t.subjectKind} IN ('agent', 'group', 'principal') AND ${t.subjectValue} IS NOT NULL)`,
    ),
  ],
);

// A refused tools/call the gateway asks an admin to grant: exactly one operation (with its
// argument digest) for one session. Granting issues an ordinary escalation (delivery platform).
export const gatewayEscalationRequests = pgTable(
  "gateway_escalation_requests",
  {
    tenant: text("tenant").notNull(),
    id: uuid("id").notNull(),
    clientId: uuid("client_id").notNull(),
    principal: text("principal").notNull(),
    agent: text("agent").notNull(),
    session: text("session").notNull(),
    // { tool, resourceType, resourceId, action, argDigest }: the SDK's GatewayOperation.
    operation: jsonb("operation").$type<Record<string, string>>().notNull(),
    // sha256 of the operation's canonical form: one open request per session and operation.
    operationKey: text("operation_key").notNull(),
    missing: text("missing").notNull(),
    deniedEvent: text("denied_event").notNull(),
    status: text("status", { enum: GATEWAY_REQUEST_STATUSES }).notNull().default("requested"),
    escalationId: uuid("escalation_id"),
    requestedAt: ts("requested_at").notNull().defaultNow(),
    decidedBy: text("decided_by"),
    decidedAt: ts("decided_at"),
  },
  (t) => [
    primaryKey({ name: "gateway_escalation_requests_pkey", columns: [t.tenant, t.id] }),
    check(
      "gateway_escalation_requests_status_check",
      sql`${t.status} IN ('requested', 'granted', 'dismissed', 'expired')`,
    ),
    uniqueIndex("gateway_escalation_requests_open_uidx")
      .on(t.tenant, t.session, t.operationKey)
      .where(sql`${t.status} = 'requested'`),
    index("gateway_escalation_requests_denied_event_idx").on(t.tenant, t.deniedEvent),
    index("gateway_escalation_requests_status_idx").on(t.tenant, t.status, t.requestedAt),
  ],
);

export type GatewayClientRow = typeof gatewayClients.$inferSelect;
export type GatewayRuleRow = typeof gatewayRules.$inferSelect;
export type GatewayEscalationRequestRow = typeof gatewayEscalationRequests.$inferSelect;

// --- Cases (issue 12) ---------------------------------------------------------------------

export const CASE_STATUSES = ["open", "closed"] as const;
export const CASE_VERDICTS = ["benign", "misuse", "false_positive"] as const;
export const CASE_ITEM_KINDS = ["event", "capability", "request", "session", "principal"] as const;
export const CASE_HISTORY_ACTIONS = [
  "created",
  "renamed",
  "pinned",
  "unpinned",
  "note",
  "verdict",
  "closed",
  "reopened",
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export type CaseVerdict = (typeof CASE_VERDICTS)[number];
export type CaseItemKind = (typeof CASE_ITEM_KINDS)[number];
export type CaseHistoryAction = (typeof CASE_HISTORY_ACTIONS)[number];

// An investigator's named case in one tenant: what was pinned to it, the notes, the verdict. Ids
// are UUIDv7, so "newest first" is the id order.
export const cases = pgTable(
  "cases",
  {
    tenant: text("tenant").notNull(),
    id: uuid("id").notNull(),
    title: text("title").notNull(),
    status: text("status", { enum: CASE_STATUSES }).notNull().default("open"),
    verdict: text("verdict", { enum: CASE_VERDICTS }),
    createdBy: text("created_by").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "cases_pkey", columns: [t.tenant, t.id] }),
    check("cases_status_check", sql`${t.status} IN ('open', 'closed')`),
    check(
      "cases_verdict_check",
      sql`${t.verdict} IS NULL OR ${t.verdict} IN ('benign', 'misuse', 'false_positive')`,
    ),
    index("cases_tenant_status_idx").on(t.tenant, t.status, t.id),
  ],
);

// What is pinned to a case: an event, capability, request, session or principal of the case's own
// tenant (checked when pinned), once per case.
export const caseItems = pgTable(
  "case_items",
  {
    tenant: text("tenant").notNull(),
    caseId: uuid("case_id").notNull(),
    kind: text("kind", { enum: CASE_ITEM_KINDS }).notNull(),
    ref: text("ref").notNull(),
    pinnedBy: text("pinned_by").notNull(),
    pinnedAt: ts("pinned_at").notNull().defaultNow(),
    note: text("note"),
  },
  (t) => [
    primaryKey({ name: "case_items_pkey", columns: [t.tenant, t.caseId, t.kind, t.ref] }),
    foreignKey({
      name: "case_items_case_fk",
      columns: [t.tenant, t.caseId],
      foreignColumns: [cases.tenant, cases.id],
    }),
    check(
      "case_items_kind_check",
      sql`${t.kind} IN ('event', 'capability', 'request', 'session', 'principal')`,
    ),
    // "Which cases is this pinned to?" from an event, capability or request page.
    index("case_items_tenant_ref_idx").on(t.tenant, t.kind, t.ref),
  ],
);

// Every change to a case, numbered 1, 2, … per case (taken under the case row's lock): who, when,
// what. Notes are entries too.
export const caseHistory = pgTable(
  "case_history",
  {
    tenant: text("tenant").notNull(),
    caseId: uuid("case_id").notNull(),
    seq: integer("seq").notNull(),
    at: ts("at").notNull().defaultNow(),
    actor: text("actor").notNull(),
    action: text("action", { enum: CASE_HISTORY_ACTIONS }).notNull(),
    // { kind, ref } for pins, { from, to } for verdicts and renames, { text } for notes.
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    primaryKey({ name: "case_history_pkey", columns: [t.tenant, t.caseId, t.seq] }),
    foreignKey({
      name: "case_history_case_fk",
      columns: [t.tenant, t.caseId],
      foreignColumns: [cases.tenant, cases.id],
    }),
    check(
      "case_history_action_check",
      sql`${t.action} IN ('created', 'renamed', 'pinned', 'unpinned', 'note', 'verdict', 'closed', 'reopened')`,
    ),
  ],
);

export type CaseRow = typeof cases.$inferSelect;
export type CaseItemRow = typeof caseItems.$inferSelect;
export type CaseHistoryRow = typeof caseHistory.$inferSelect;
