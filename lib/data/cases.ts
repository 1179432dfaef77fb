import "server-only";
import { and, desc, eq, ilike, inArray, lt, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "@/db/client";
import {
  CASE_ITEM_KINDS,
  CASE_STATUSES,
  CASE_VERDICTS,
  type CaseHistoryAction,
  type CaseItemKind,
  type CaseRow,
  caseHistory,
  caseItems,
  cases,
} from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { type Authority, assertTenantsInScope, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { uuidv7 } from "@/lib/ids";
import { type ItemLabel, itemHref, labelItems, refExists, tenantsWithRef } from "./case-refs";
import { lockRowInScope } from "./tenant-lookup";

// Cases (issue 12): an investigator pins events, capabilities, requests, sessions and principals
// of one tenant to a named case, adds notes and a verdict. Investigators and admins only: a case
// holds what viewers may not see (reasons, capabilities), so viewers get no view of it at all.
// Every change writes a case_history row and a console.case.* audit event in one transaction.
// The audit event carries ids, kinds and verdicts, never a title or a note's text.

const PERMISSION = "cases.manage" as const;

const title = z
  .string({ error: "Title is required." })
  .trim()
  .min(1, { error: "Title is required." })
  .max(200, { error: "Keep the title under 200 characters." });
const caseId = z.uuid({ error: "Unknown case." });
const kind = z.enum(CASE_ITEM_KINDS, {
  error: "Kind: pick event, capability, request, session or principal.",
});
const ref = z
  .string({ error: "Reference is required." })
  .trim()
  .min(1, { error: "Reference is required." })
  .max(500, { error: "Keep the reference under 500 characters." });
const tenant = z.string({ error: "Pick a tenant." }).trim().min(1, { error: "Pick a tenant." }).max(64);

export const createCaseSchema = z.object({
  tenant,
  title,
  /** Pin this at once (the "new case…" choice of the pin dialog). */
  pin: z.object({ kind, ref }).optional(),
});
export const renameCaseSchema = z.object({ id: caseId, title });
export const pinSchema = z.object({
  id: caseId,
  kind,
  ref,
  note: z.string().trim().max(1000, { error: "Keep the note under 1,000 characters." }).optional(),
});
export const unpinSchema = z.object({ id: caseId, kind, ref });
export const caseNoteSchema = z.object({
  id: caseId,
  text: z
    .string({ error: "Note is required." })
    .trim()
    .min(1, { error: "Note is required." })
    .max(5000, { error: "Keep the note under 5,000 characters." }),
});
export const verdictSchema = z.object({
  id: caseId,
  verdict: z.preprocess(
    (v) => (v === "" || v === "none" ? null : v),
    z.enum(CASE_VERDICTS, { error: "Verdict: pick benign, misuse or false positive." }).nullable(),
  ),
});
export const caseStatusSchema = z.object({
  id: caseId,
  status: z.enum(CASE_STATUSES, { error: "Status: open or closed." }),
});
export const listCasesSchema = z.object({
  q: z.string().trim().max(200, { error: "Keep the search under 200 characters." }).default(""),
  status: z.enum([...CASE_STATUSES, "all"]).default("all"),
  /** The last id of the previous page (UUIDv7: newest first is id order). */
  after: z.uuid().optional(),
  limit: z.number().int().min(1).max(100).default(25),
});
export const casesForRefSchema = z.object({
  tenant: tenant.nullable().optional(),
  kind,
  ref,
  q: z.string().trim().max(200).default(""),
});

export type CreateCaseInput = z.output<typeof createCaseSchema>;

async function record(
  tx: Executor,
  authority: Authority,
  c: { tenant: string; id: string },
  action: CaseHistoryAction,
  detail: Record<string, unknown>,
  audit: Record<string, unknown> = {},
) {
  const now = new Date();
  // Callers hold the case row's lock (ownedCase, or the insert of a new case): no two take one seq.
  const [last] = await tx
    .select({ seq: sql<number>`coalesce(max(${caseHistory.seq}), 0)::int` })
    .from(caseHistory)
    .where(and(eq(caseHistory.tenant, c.tenant), eq(caseHistory.caseId, c.id)));
  await tx.insert(caseHistory).values({
    tenant: c.tenant,
    caseId: c.id,
    seq: (last?.seq ?? 0) + 1,
    at: now,
    actor: authority.email,
    action,
    detail,
  });
  await tx
    .update(cases)
    .set({ updatedAt: now })
    .where(and(eq(cases.tenant, c.tenant), eq(cases.id, c.id)));
  await appendEvents(
    tx,
    consoleEvents({
      actor: authority,
      type: `console.case.${action}`,
      tenants: [c.tenant],
      resource: { type: "Case", id: c.id },
      meta: audit,
      now,
    }),
  );
}

/** The case with that id in the caller's tenants, locked for the change; another tenant's is "unknown". */
async function ownedCase(tx: Executor, authority: Authority, id: string): Promise<CaseRow> {
  return lockRowInScope(tx, {
    table: cases,
    tenants: authority.tenants,
    match: eq(cases.id, id),
    what: "case",
    unknown: "Unknown case.",
  });
}

async function assertRef(tx: Executor, target: { tenant: string; kind: CaseItemKind; ref: string }) {
  // The same answer whether the ref is absent or another tenant's: nothing leaks across tenants.
  if (!(await refExists(tx, target)))
    throw new NotFoundError(`No ${target.kind} ${target.ref} in this case's tenant.`);
}

async function insertPin(
  tx: Executor,
  authority: Authority,
  c: { tenant: string; id: string },
  pin: { kind: CaseItemKind; ref: string; note?: string },
) {
  await assertRef(tx, { tenant: c.tenant, kind: pin.kind, ref: pin.ref });
  const inserted = await tx
    .insert(caseItems)
    .values({
      tenant: c.tenant,
      caseId: c.id,
      kind: pin.kind,
      ref: pin.ref,
      pinnedBy: authority.email,
      note: pin.note || null,
    })
    .onConflictDoNothing()
    .returning({ ref: caseItems.ref });
  if (inserted.length === 0) throw new ConflictError(`That ${pin.kind} is already pinned to this case.`);
  await record(
    tx,
    authority,
    c,
    "pinned",
    { kind: pin.kind, ref: pin.ref },
    { kind: pin.kind, ref: pin.ref },
  );
}

export async function createCase(db: Db, authority: Authority, input: CreateCaseInput) {
  assertCan(authority, PERMISSION);
  assertTenantsInScope(authority, [input.tenant]);
  const now = new Date();
  const c = { tenant: input.tenant, id: uuidv7(now.getTime()), title: input.title };
  await db.transaction(async (tx) => {
    await tx.insert(cases).values({ ...c, createdBy: authority.email, createdAt: now, updatedAt: now });
    await record(tx, authority, c, "created", { title: input.title });
    if (input.pin) await insertPin(tx, authority, c, input.pin);
  });
  return c;
}

export async function renameCase(db: Db, authority: Authority, input: z.output<typeof renameCaseSchema>) {
  assertCan(authority, PERMISSION);
  return db.transaction(async (tx) => {
    const c = await ownedCase(tx, authority, input.id);
    if (c.title === input.title) return { id: c.id, title: c.title };
    await tx
      .update(cases)
      .set({ title: input.title })
      .where(and(eq(cases.tenant, c.tenant), eq(cases.id, c.id)));
    await record(tx, authority, c, "renamed", { from: c.title, to: input.title });
    return { id: c.id, title: input.title };
  });
}

export async function pinToCase(db: Db, authority: Authority, input: z.output<typeof pinSchema>) {
  assertCan(authority, PERMISSION);
  return db.transaction(async (tx) => {
    const c = await ownedCase(tx, authority, input.id);
    if (c.status === "closed") throw new ConflictError("This case is closed: reopen it to pin more.");
    await insertPin(tx, authority, c, input);
    return { id: c.id, title: c.title, tenant: c.tenant };
  });
}

export async function unpinFromCase(db: Db, authority: Authority, input: z.output<typeof unpinSchema>) {
  assertCan(authority, PERMISSION);
  return db.transaction(async (tx) => {
    const c = await ownedCase(tx, authority, input.id);
    const gone = await tx
      .delete(caseItems)
      .where(
        and(
          eq(caseItems.tenant, c.tenant),
          eq(caseItems.caseId, c.id),
          eq(caseItems.kind, input.kind),
          eq(caseItems.ref, input.ref),
        ),
      )
      .returning({ ref: caseItems.ref });
    if (gone.length === 0) throw new NotFoundError(`That ${input.kind} is not pinned to this case.`);
    await record(
      tx,
      authority,
      c,
      "unpinned",
      { kind: input.kind, ref: input.ref },
      { kind: input.kind, ref: input.ref },
    );
    return { id: c.id };
  });
}

export async function addCaseNote(db: Db, authority: Authority, input: z.output<typeof caseNoteSchema>) {
  assertCan(authority, PERMISSION);
  return db.transaction(async (tx) => {
    const c = await ownedCase(tx, authority, input.id);
    await record(tx, authority, c, "note", { text: input.text }, { length: input.text.length });
    return { id: c.id };
  });
}

export async function setCaseVerdict(db: Db, authority: Authority, input: z.output<typeof verdictSchema>) {
  assertCan(authority, PERMISSION);
  return db.transaction(async (tx) => {
    const c = await ownedCase(tx, authority, input.id);
    if (c.verdict === input.verdict) return { id: c.id, verdict: c.verdict };
    await tx
      .update(cases)
      .set({ verdict: input.verdict })
      .where(and(eq(cases.tenant, c.tenant), eq(cases.id, c.id)));
    const change = { from: c.verdict, to: input.verdict };
    await record(tx, authority, c, "verdict", change, change);
    return { id: c.id, verdict: input.verdict };
  });
}

export async function setCaseStatus(db: Db, authority: Authority, input: z.output<typeof caseStatusSchema>) {
  assertCan(authority, PERMISSION);
  return db.transaction(async (tx) => {
    const c = await ownedCase(tx, authority, input.id);
    if (c.status === input.status)
      throw new ConflictError(
        input.status === "closed" ? "The case is already closed." : "The case is already open.",
      );
    await tx
      .update(cases)
      .set({ status: input.status })
      .where(and(eq(cases.tenant, c.tenant), eq(cases.id, c.id)));
    await record(tx, authority, c, input.status === "closed" ? "closed" : "reopened", {});
    return { id: c.id, status: input.status };
  });
}

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

const itemCount = sql<number>`(select count(*)::int from ${caseItems} where ${caseItems.tenant} = ${cases.tenant} and ${caseItems.caseId} = ${cases.id})`;

/** The cases of the tenants in view, newest first, a page at a time (keyset on the UUIDv7 id). */
export async function listCases(db: Db, authority: Authority, input: z.input<typeof listCasesSchema> = {}) {
  assertCan(authority, PERMISSION);
  const { q, status, after, limit } = listCasesSchema.parse(input);
  const conds = [inArray(cases.tenant, tenantsInView(authority))];
  if (q) conds.push(ilike(cases.title, likePattern(q)));
  if (status !== "all") conds.push(eq(cases.status, status));
  if (after) conds.push(lt(cases.id, after));
  const rows = await db
    .select({
      tenant: cases.tenant,
      id: cases.id,
      title: cases.title,
      status: cases.status,
      verdict: cases.verdict,
      createdBy: cases.createdBy,
      createdAt: cases.createdAt,
      updatedAt: cases.updatedAt,
      items: itemCount,
    })
    .from(cases)
    .where(and(...conds))
    .orderBy(desc(cases.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return { rows: page, next: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}

/**
 * For the pin dialog: the ref's tenant (given, or the only one in view holding it), its open
 * cases matching `q`, and the cases (open or closed) it is already pinned to.
 */
export async function casesForRef(db: Db, authority: Authority, input: z.output<typeof casesForRefSchema>) {
  assertCan(authority, PERMISSION);
  const scope = input.tenant ? [input.tenant] : tenantsInView(authority);
  assertTenantsInScope(authority, scope);
  const holders = await tenantsWithRef(db, { scope, kind: input.kind, ref: input.ref });
  if (holders.length === 0) throw new NotFoundError(`No ${input.kind} ${input.ref} in your tenants.`);
  if (holders.length > 1) throw new ConflictError("Several tenants hold that id: open it from one tenant.");
  const [t] = holders as [string];
  const conds = [eq(cases.tenant, t), eq(cases.status, "open")];
  if (input.q) conds.push(ilike(cases.title, likePattern(input.q)));
  const open = await db
    .select({ id: cases.id, title: cases.title })
    .from(cases)
    .where(and(...conds))
    .orderBy(desc(cases.id))
    .limit(20);
  const pinned = await db
    .select({ id: cases.id, title: cases.title })
    .from(caseItems)
    .innerJoin(cases, and(eq(cases.tenant, caseItems.tenant), eq(cases.id, caseItems.caseId)))
    .where(and(eq(caseItems.tenant, t), eq(caseItems.kind, input.kind), eq(caseItems.ref, input.ref)))
    .orderBy(desc(cases.id))
    .limit(20);
  return { tenant: t, open, pinned };
}

export interface CaseItemView {
  kind: CaseItemKind;
  ref: string;
  href: string;
  pinnedBy: string;
  pinnedAt: Date;
  note: string | null;
  label: ItemLabel | null;
}

/** Whether a case with that id is in the caller's tenants (one primary-key probe). */
export async function caseExists(db: Db, authority: Authority, id: string): Promise<boolean> {
  assertCan(authority, PERMISSION);
  if (!caseId.safeParse(id).success) return false;
  const [row] = await db
    .select({ id: cases.id })
    .from(cases)
    .where(and(inArray(cases.tenant, [...authority.tenants]), eq(cases.id, id)));
  return Boolean(row);
}

/** One case with its items (labelled) and history, or null when not in the caller's tenants. */
export async function getCase(db: Db, authority: Authority, id: string) {
  assertCan(authority, PERMISSION);
  if (!caseId.safeParse(id).success) return null;
  const [c] = await db
    .select()
    .from(cases)
    .where(and(inArray(cases.tenant, [...authority.tenants]), eq(cases.id, id)));
  if (!c) return null;
  const scoped = and(eq(caseItems.tenant, c.tenant), eq(caseItems.caseId, c.id));
  const [items, history] = await Promise.all([
    db.select().from(caseItems).where(scoped).orderBy(caseItems.pinnedAt),
    db
      .select({
        seq: caseHistory.seq,
        at: caseHistory.at,
        actor: caseHistory.actor,
        action: caseHistory.action,
        detail: caseHistory.detail,
      })
      .from(caseHistory)
      .where(and(eq(caseHistory.tenant, c.tenant), eq(caseHistory.caseId, c.id)))
      .orderBy(caseHistory.seq),
  ]);
  const labels = await labelItems(db, c.tenant, items);
  const views: CaseItemView[] = items.map((i) => ({
    kind: i.kind,
    ref: i.ref,
    href: itemHref({ tenant: c.tenant, kind: i.kind, ref: i.ref }),
    pinnedBy: i.pinnedBy,
    pinnedAt: i.pinnedAt,
    note: i.note,
    label: labels.get(`${i.kind}:${i.ref}`) ?? null,
  }));
  return { case: c, items: views, history };
}
