// How each table would be placed on Citus (docs/scale.md): distributed by tenant and co-located
// with events, a reference table (a copy on every node), or local to the coordinator. Every
// table of the schema is listed, with the reason when it is not distributed by tenant;
// tests/integration/citus-ready.test.ts reads the migrated catalog against this list (an
// unlisted table fails it), and tests/unit/tenant-locks.test.ts checks that statements on
// distributed tables name one tenant. Order matters: docs/scale.md's script follows it, and a
// table comes after every table it references.

export type Placement =
  | { kind: "distributed" }
  | { kind: "reference"; reason: string }
  | { kind: "local"; reason: string };

/** The distribution column of every distributed table, and the table they are co-located with. */
export const DISTRIBUTION_COLUMN = "tenant";
export const COLOCATION_TABLE = "events";

const distributed: Placement = { kind: "distributed" };

const consolePlane =
  "console sign-in state: not owned by a tenant (a console user spans tenants), small, joined only with the other console tables, and guarded by advisory locks, which are node-local (the console talks to the coordinator)";

export const TABLE_PLACEMENT: Record<string, Placement> = {
  // --- reference tables: read on every path, written rarely, looked up before a tenant is known
  tenants: {
    kind: "reference",
    reason: "the tenant list itself (its id is the tenant): a handful of rows every node may join with",
  },
  issuers: {
    kind: "reference",
    reason:
      "token verification resolves a key by kid before it knows the tenant (kid is global; tenant is null for the console's own keys); a few rows, written only when a key is added or retired",
  },
  api_keys: {
    kind: "reference",
    reason:
      "a bearer key is looked up by key_hash before its tenant is known (the key fixes the tenant), so key_hash is unique across tenants; a few rows per tenant, written on create/revoke and last_used_at at most once a minute per key",
  },
  gateway_clients: {
    kind: "reference",
    reason:
      "the gateway looks a bearer credential up by credential_hash before it knows the tenant, so the hash is unique across tenants; a few rows per tenant, written on issue and revoke only",
  },
  // --- coordinator-local: the console's own sign-in plane, no tenant column
  console_users: { kind: "local", reason: consolePlane },
  console_sessions: { kind: "local", reason: consolePlane },
  accounts: { kind: "local", reason: consolePlane },
  verification_tokens: { kind: "local", reason: consolePlane },
  login_attempts: { kind: "local", reason: consolePlane },
  saved_queries: {
    kind: "local",
    reason: "a console user's own saved searches (keyed by user, not tenant), read only with console_users",
  },
  // --- distributed by tenant, co-located with events (first: the co-location anchor)
  events: distributed,
  capabilities: distributed,
  chain_heads: distributed,
  sessions: distributed,
  revocations: distributed,
  escalations: distributed,
  checkpoints: distributed,
  merkle_nodes: distributed,
  tree_checkpoints: distributed,
  retention_cuts: distributed,
  event_rollups_daily: distributed,
  event_rollups_hourly: distributed,
  capability_counts: distributed,
  subject_keys: distributed,
  streams: distributed,
  stream_dead_letters: distributed,
  alert_rules: distributed,
  alerts: distributed,
  alert_settings: distributed,
  gateway_rules: distributed,
  gateway_escalation_requests: distributed,
  cases: distributed,
  case_items: distributed,
  case_history: distributed,
};

/**
 * Columns of distributed tables whose default draws from a sequence, with the reason it is no
 * per-tenant counter. Per-tenant counters (events.seq, revocations.cursor, case_history.seq)
 * come from rows taken under the tenant's lock; a sequence here would be global and, on Citus,
 * handed out in per-node ranges, so it could order nothing.
 */
export const SEQUENCE_DEFAULTS: Record<string, string> = {
  "checkpoints.id":
    "a row identity only (the key is (tenant, id)); checkpoints are ordered by seq, and id only breaks a tie that the checkpointer's round lock never lets happen",
};

export const distributedTables = () =>
  Object.entries(TABLE_PLACEMENT)
    .filter(([, p]) => p.kind === "distributed")
    .map(([name]) => name);
