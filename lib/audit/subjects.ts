import { createHash, createHmac, randomBytes } from "node:crypto";
import { canonicalJson } from "@capability-console/sdk";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { subjectKeys } from "@/db/schema";

// Erasable events (issue 17 point 2, docs/retention.md "Erasing a subject").
//
// An event of content version 2 names its subject (its principal). Its content hash covers, in
// place of `principal` and `meta`, the commitment sha256(salt || canonical JSON of the value),
// where salt = HMAC-SHA256(subject key, tenant "\n" id "\n" field). The subject key is random,
// one per (tenant, principal), in `subject_keys`.
//
// While the key exists, anyone holding it recomputes the salts, the commitments and the content
// hash from the clear values: an edited principal or meta breaks the row as before. Erasing the
// subject stores the commitments in the row's `erased` column, blanks the values and deletes the
// key. The content hash still verifies from the stored commitments, which prove the rest of the
// row unchanged; the values are gone, and cannot be recovered by guessing (the salt is unknown).
// A single event's value can be disclosed to an outsider with its salt (evidence bundles do),
// which opens that event's commitment and no other.

export const CONTENT_VERSION_ERASABLE = 2;
/** The fields an erasable event commits to instead of hashing them in clear. */
export const COMMITTED_FIELDS = ["principal", "meta"] as const;
export type CommittedField = (typeof COMMITTED_FIELDS)[number];
/** What an erased subject's principal reads as afterwards. */
export const ERASED_PRINCIPAL = "[erased]";

/** Subject keys of one tenant, by subject. */
export type SubjectKeys = ReadonlyMap<string, Uint8Array>;

/** An erasable event's content cannot be hashed as stored: verification reports it as broken. */
export class ContentUnverifiable extends Error {}

/** An erasable event's subject key is not in the database (and the event is not erased). */
export class SubjectKeyMissing extends ContentUnverifiable {
  constructor(readonly subject: string) {
    super("the subject key of an erasable event is missing (deleted without erasing its events)");
  }
}

/** An erased event names a principal or holds meta again: its commitments no longer cover them. */
export class ErasedRowAltered extends ContentUnverifiable {
  constructor() {
    super("an erased event names a principal or holds meta again (row edited)");
  }
}

/** Salts are 32 bytes (64 hex digits): no bytes of a value can be moved into one. */
const SALT = /^[0-9a-f]{64}$/;

/**
 * Console events that are about the subject's own activity rather than what a console user did:
 * an alert opened on the subject's event names them (its principal, and its title in meta).
 */
const SUBJECT_CONSOLE_EVENTS: ReadonlySet<string> = new Set(["console.alert.opened"]);

/**
 * Whether an event written now is erasable: it names a principal, and it is not the console's
 * own record of what an admin did (console.*), which is the console's accountability log.
 */
export function erasableEvent(e: { type: string; principal?: string | null }): boolean {
  return !!e.principal && (!e.type.startsWith("console.") || SUBJECT_CONSOLE_EVENTS.has(e.type));
}

export function saltOf(key: Uint8Array, tenant: string, id: string, field: CommittedField): Buffer {
  return createHmac("sha256", key).update(`${tenant}\n${id}\n${field}`).digest();
}

/** "sha256:<hex>" of salt || canonical JSON of the value. */
export function commitment(salt: Uint8Array, value: unknown): string {
  return `sha256:${createHash("sha256")
    .update(salt)
    .update(canonicalJson(value ?? null))
    .digest("hex")}`;
}

interface Committable {
  tenant: string;
  id: string;
  principal?: string | null;
  meta?: Record<string, unknown> | null;
  erased?: Record<string, string> | null;
}

/**
 * The commitments an erasable event's content hash covers: the stored ones once erased,
 * otherwise computed from the values and the subject's key (SubjectKeyMissing without it).
 */
export function commitmentsOf(e: Committable, keys: SubjectKeys | undefined): Record<CommittedField, string> {
  if (e.erased) {
    // The commitments stand in for the values, so the values must be the blanks erasure left.
    if (e.principal !== ERASED_PRINCIPAL || Object.keys(e.meta ?? {}).length > 0)
      throw new ErasedRowAltered();
    const { principal, meta } = e.erased;
    return { principal: String(principal ?? ""), meta: String(meta ?? "") };
  }
  const subject = e.principal ?? "";
  const key = keys?.get(subject);
  if (!key) throw new SubjectKeyMissing(subject);
  return {
    principal: commitment(saltOf(key, e.tenant, e.id, "principal"), e.principal ?? null),
    meta: commitment(saltOf(key, e.tenant, e.id, "meta"), e.meta ?? {}),
  };
}

/** The subjects of the erasable, not erased, events among `rows`. */
export function subjectsOf(
  rows: readonly { contentVersion?: number | null; principal?: string | null; erased?: unknown }[],
): string[] {
  const out = new Set<string>();
  for (const r of rows)
    if (r.contentVersion === CONTENT_VERSION_ERASABLE && !r.erased && r.principal) out.add(r.principal);
  return [...out];
}

const asBytes = (v: unknown): Uint8Array =>
  v instanceof Uint8Array
    ? v
    : typeof v === "string" && v.startsWith("\\x")
      ? Buffer.from(v.slice(2), "hex")
      : Buffer.from(String(v), "hex");

/** The keys of `subjects` in `tenant` that exist (none is created). */
export async function loadSubjectKeys(
  db: Executor,
  tenant: string,
  subjects: readonly string[],
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  if (subjects.length === 0) return out;
  const res = (await db.execute(sql`
    select "subject", "key" from "subject_keys"
     where "tenant" = ${tenant}
       and "subject" in (select json_array_elements_text(${JSON.stringify(subjects)}::json))`)) as unknown as {
    rows: { subject: string; key: unknown }[];
  };
  for (const r of res.rows) out.set(r.subject, asBytes(r.key));
  return out;
}

/** The keys of `subjects` in `tenant` that exist, held `for share` until the transaction ends. */
export async function shareSubjectKeys(
  tx: Executor,
  tenant: string,
  subjects: readonly string[],
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  if (subjects.length === 0) return out;
  const found = await tx
    .select({ subject: subjectKeys.subject, key: subjectKeys.key })
    .from(subjectKeys)
    .where(and(eq(subjectKeys.tenant, tenant), inArray(subjectKeys.subject, [...subjects])))
    .for("share");
  for (const r of found) out.set(r.subject, asBytes(r.key));
  return out;
}

/**
 * The keys of `subjects` in `tenant`, created for those that have none. Runs in the writer's
 * transaction; `for share` keeps an erasure (which deletes the key `for update`) from
 * committing between reading the key and committing the events it salted.
 */
export async function ensureSubjectKeys(
  tx: Executor,
  tenant: string,
  subjects: readonly string[],
): Promise<Map<string, Uint8Array>> {
  if (subjects.length === 0) return new Map();
  const rows = subjects.map((subject) => ({ subject, key: randomBytes(32).toString("hex") }));
  await tx.execute(sql`
    insert into "subject_keys" ("tenant", "subject", "key")
    select ${tenant}, r."subject", decode(r."key", 'hex')
      from json_to_recordset(${JSON.stringify(rows)}::json) as r("subject" text, "key" text)
    on conflict do nothing`);
  const found = await tx
    .select({ subject: subjectKeys.subject, key: subjectKeys.key })
    .from(subjectKeys)
    .where(and(eq(subjectKeys.tenant, tenant), inArray(subjectKeys.subject, [...subjects])))
    .for("share");
  const res = { rows: found };
  const out = new Map<string, Uint8Array>();
  for (const r of res.rows) out.set(r.subject, asBytes(r.key));
  return out;
}

/** An erasable, not erased, event's salts by field (hex): what opens its commitments. */
export function saltsOf(
  e: Committable & { contentVersion?: number | null },
  keys: SubjectKeys,
): Record<CommittedField, string> | null {
  if (e.contentVersion !== CONTENT_VERSION_ERASABLE || e.erased) return null;
  const key = keys.get(e.principal ?? "");
  if (!key) throw new SubjectKeyMissing(e.principal ?? "");
  return {
    principal: saltOf(key, e.tenant, e.id, "principal").toString("hex"),
    meta: saltOf(key, e.tenant, e.id, "meta").toString("hex"),
  };
}

/** The commitments of an event's values under the given salts (hex). */
export function commitmentsFromSalts(
  e: Committable,
  salts: Readonly<Record<string, unknown>>,
): Record<CommittedField, string> {
  if (!SALT.test(String(salts.principal)) || !SALT.test(String(salts.meta)))
    throw new ContentUnverifiable("a salt is not 64 lowercase hex digits");
  return {
    principal: commitment(Buffer.from(String(salts.principal ?? ""), "hex"), e.principal ?? null),
    meta: commitment(Buffer.from(String(salts.meta ?? ""), "hex"), e.meta ?? {}),
  };
}

/**
 * The id an erasure gives the rows it erases (`erased.by`), derived from the subject's key so a
 * run interrupted and run again tags every row alike. Its console.subject.erased record names the
 * id with the count and a digest of the rows' seqs, which verification checks (ErasureLedger):
 * a row erased by hand, without a recorded erasure, is reported.
 */
export function erasureIdOf(key: Uint8Array): string {
  return createHmac("sha256", key).update("erasure").digest("hex").slice(0, 32);
}

/** "sha256:<hex>" of the seqs, ascending, each followed by a newline. */
export function seqDigest(seqs: readonly number[]): string {
  const h = createHash("sha256");
  for (const s of seqs) h.update(`${s}\n`);
  return `sha256:${h.digest("hex")}`;
}

export const ERASURE_EVENT_TYPE = "console.subject.erased";

/**
 * Verification's check that every erased row belongs to a recorded erasure: fed every row in
 * seq order from the anchor on, then asked for its problems.
 */
export class ErasureLedger {
  private readonly groups = new Map<
    string,
    { seqs: number[]; hash: ReturnType<typeof createHash>; n: number }
  >();
  private readonly records = new Map<string, { seq: number; meta: Record<string, unknown> }>();

  constructor(private readonly anchor: number) {}

  row(r: { seq: number; type: string; erased?: Record<string, string> | null; meta?: unknown }): void {
    if (r.type === ERASURE_EVENT_TYPE) {
      const meta = (r.meta ?? {}) as Record<string, unknown>;
      if (typeof meta.erasure === "string") this.records.set(meta.erasure, { seq: r.seq, meta });
    }
    if (!r.erased) return;
    const by = String(r.erased.by ?? "");
    let g = this.groups.get(by);
    if (!g) {
      g = { seqs: [], hash: createHash("sha256"), n: 0 };
      this.groups.set(by, g);
    }
    g.n += 1;
    g.hash.update(`${r.seq}\n`);
    if (g.seqs.length < 2) g.seqs.push(r.seq);
    else g.seqs[1] = r.seq;
  }

  problems(): { seq: number; problem: string }[] {
    const out: { seq: number; problem: string }[] = [];
    for (const [by, g] of this.groups) {
      const first = g.seqs[0] as number;
      const last = g.seqs.at(-1) as number;
      const rec = this.records.get(by);
      if (!rec) {
        out.push({
          seq: first,
          problem: `${g.n} erased ${g.n === 1 ? "event has" : "events have"} no recorded erasure after them (an interrupted erasure: run it again; otherwise rows blanked by hand)`,
        });
        continue;
      }
      const m = rec.meta;
      const whole = Number(m.firstSeq) > this.anchor;
      const digest = `sha256:${g.hash.digest("hex")}`;
      if (rec.seq < last)
        out.push({
          seq: last,
          problem: "an erased event comes after the erasure that records it (row blanked by hand)",
        });
      else if (
        whole
          ? g.n !== Number(m.events) || digest !== m.digest
          : g.n > Number(m.events) || first < Number(m.firstSeq) || last > Number(m.lastSeq)
      )
        out.push({
          seq: first,
          problem: `the erased events differ from what the erasure at seq ${rec.seq} recorded (${g.n} here, ${String(m.events)} recorded)`,
        });
    }
    return out;
  }
}
