import { and, eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { capabilities, caseHistory, caseItems, cases, events } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import type { ChainedContent } from "@/lib/audit/chain";
import type { Authority } from "@/lib/auth/authority";
import {
  addCaseNote,
  caseExists,
  caseNoteSchema,
  casesForRef,
  createCase,
  createCaseSchema,
  getCase,
  listCases,
  pinToCase,
  renameCase,
  setCaseStatus,
  setCaseVerdict,
  unpinFromCase,
  verdictSchema,
} from "@/lib/data/cases";
import { ConflictError, ForbiddenError, NotFoundError } from "@/lib/errors";
import { uuidv7 } from "@/lib/ids";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";

// Issue 12, point 7: cases. Every data function on PGlite and PostgreSQL: who may (investigators
// and admins of the case's tenant), what another tenant sees (nothing: "unknown case"), what may
// be pinned (only refs of the case's own tenant), the history and the console.case.* events.

const T0 = Date.parse("2026-12-01T10:00:00.000Z");
const ACME_EVENT = uuidv7(T0);
const GLOBEX_EVENT = uuidv7(T0 + 1);
const ACME_CAP = "ac".repeat(32);
const GLOBEX_CAP = "bd".repeat(32);

function ev(tenant: string, id: string, over: Partial<ChainedContent> = {}): ChainedContent {
  return {
    id,
    ts: new Date(T0),
    tenant,
    type: "tool.call",
    principal: `alice@${tenant}.example`,
    agent: "bot",
    session: `sess-${tenant}`,
    request: `req-${tenant}`,
    tool: "crm.update_order",
    action: "write",
    outcome: "denied",
    meta: {},
    ...over,
  } as ChainedContent;
}

describe.each(backends)("cases on $name", (backend) => {
  let database: Database;
  let investigator: Authority;
  let admin: Authority;
  let viewer: Authority;
  let globex: Authority;

  beforeAll(async () => {
    database = await backend.open();
    const db = database.db;
    await addTenants(db, ["acme", "globex"]);
    investigator = await signedIn(db, { email: "inv@acme.test", role: "investigator", tenants: ["acme"] });
    admin = await signedIn(db, { email: "admin@acme.test", role: "admin", tenants: ["acme"] });
    viewer = await signedIn(db, { email: "viewer@acme.test", role: "viewer", tenants: ["acme"] });
    globex = await signedIn(db, { email: "inv@globex.test", role: "investigator", tenants: ["globex"] });
    await db.transaction((tx) => appendEvents(tx, [ev("acme", ACME_EVENT), ev("globex", GLOBEX_EVENT)]));
    await db.insert(capabilities).values(
      [
        ["acme", ACME_CAP],
        ["globex", GLOBEX_CAP],
      ].map(([tenant, id]) => ({
        id: id as string,
        tenant: tenant as string,
        tokenHash: `sha256:${"0".repeat(64)}`,
        rootId: id as string,
        principal: `alice@${tenant}.example`,
        request: `req-${tenant}`,
        kind: "minted" as const,
        summary: { rights: [{ resource: "Order", actions: ["read", "write"] }] },
      })),
    );
  });
  afterAll(() => database?.close());

  const consoleEventsOf = (type: string) =>
    database.db
      .select()
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.type, type)));

  it("opens a case, pins an event, a capability and a request, and labels them", async () => {
    const db = database.db;
    const c = await createCase(
      db,
      investigator,
      createCaseSchema.parse({ tenant: "acme", title: " Order writes " }),
    );
    expect(c.title).toBe("Order writes");
    await pinToCase(db, investigator, { id: c.id, kind: "event", ref: ACME_EVENT });
    await pinToCase(db, investigator, { id: c.id, kind: "capability", ref: ACME_CAP, note: "root" });
    await pinToCase(db, admin, { id: c.id, kind: "request", ref: "req-acme" });
    const got = await getCase(db, investigator, c.id);
    expect(got?.case).toMatchObject({ tenant: "acme", title: "Order writes", status: "open", verdict: null });
    const byKind = Object.fromEntries(got?.items.map((i) => [i.kind, i]) ?? []);
    expect(byKind.event).toMatchObject({
      ref: ACME_EVENT,
      href: `/events/${ACME_EVENT}?tenant=acme`,
      label: { title: "crm.update_order", outcome: "denied", at: new Date(T0).toISOString() },
    });
    expect(byKind.capability).toMatchObject({
      note: "root",
      label: { title: "alice@acme.example", detail: "Order read/write" },
    });
    expect(byKind.request).toMatchObject({
      pinnedBy: "admin@acme.test",
      label: { title: "alice@acme.example" },
    });
    expect(got?.history.map((h) => [h.seq, h.action, h.actor])).toEqual([
      [1, "created", "inv@acme.test"],
      [2, "pinned", "inv@acme.test"],
      [3, "pinned", "inv@acme.test"],
      [4, "pinned", "admin@acme.test"],
    ]);
    // One console.case.* event per change, in the case's tenant, with no title in it.
    const audit = await consoleEventsOf("console.case.pinned");
    expect(audit.filter((e) => e.resourceId === c.id)).toHaveLength(3);
    const created = (await consoleEventsOf("console.case.created")).find((e) => e.resourceId === c.id);
    expect(created).toMatchObject({ principal: "inv@acme.test", resourceType: "Case", outcome: "allowed" });
    expect(JSON.stringify(created)).not.toContain("Order writes");
  });

  it("refuses to pin another tenant's event or capability, or one that does not exist, alike", async () => {
    const db = database.db;
    const c = await createCase(db, investigator, { tenant: "acme", title: "cross-tenant" });
    const before = await db.select().from(caseHistory).where(eq(caseHistory.caseId, c.id));
    for (const [kind, ref] of [
      ["event", GLOBEX_EVENT],
      ["capability", GLOBEX_CAP],
      ["request", "req-globex"],
      ["principal", "alice@globex.example"],
      ["event", uuidv7()],
    ] as const) {
      const err = await pinToCase(db, investigator, { id: c.id, kind, ref }).catch((e) => e);
      expect(err, `${kind} ${ref}`).toBeInstanceOf(NotFoundError);
      expect(err.message).toBe(`No ${kind} ${ref} in this case's tenant.`);
    }
    expect(await db.select().from(caseItems).where(eq(caseItems.caseId, c.id))).toEqual([]);
    expect(await db.select().from(caseHistory).where(eq(caseHistory.caseId, c.id))).toEqual(before);
    // Nor through "new case…" with a pin: the whole case is rolled back.
    await expect(
      createCase(db, investigator, {
        tenant: "acme",
        title: "sneaky",
        pin: { kind: "event", ref: GLOBEX_EVENT },
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(await db.select().from(cases).where(eq(cases.title, "sneaky"))).toEqual([]);
    // A pin twice is a conflict, not a second row.
    await pinToCase(db, investigator, { id: c.id, kind: "principal", ref: "alice@acme.example" });
    await expect(
      pinToCase(db, investigator, { id: c.id, kind: "principal", ref: "alice@acme.example" }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it("keeps viewers out of every function, and another tenant's case is unknown", async () => {
    const db = database.db;
    const c = await createCase(db, investigator, { tenant: "acme", title: "private" });
    const calls: [string, (a: Authority) => Promise<unknown>][] = [
      ["create", (a) => createCase(db, a, { tenant: "acme", title: "x" })],
      ["rename", (a) => renameCase(db, a, { id: c.id, title: "renamed" })],
      ["pin", (a) => pinToCase(db, a, { id: c.id, kind: "event", ref: ACME_EVENT })],
      ["unpin", (a) => unpinFromCase(db, a, { id: c.id, kind: "event", ref: ACME_EVENT })],
      ["note", (a) => addCaseNote(db, a, { id: c.id, text: "hi" })],
      ["verdict", (a) => setCaseVerdict(db, a, { id: c.id, verdict: "misuse" })],
      ["close", (a) => setCaseStatus(db, a, { id: c.id, status: "closed" })],
      ["list", (a) => listCases(db, a)],
      ["get", (a) => getCase(db, a, c.id)],
      ["for ref", (a) => casesForRef(db, a, { kind: "event", ref: ACME_EVENT, q: "" })],
    ];
    for (const [name, call] of calls) await expect(call(viewer), name).rejects.toBeInstanceOf(ForbiddenError);
    for (const [name, call] of calls.slice(1, 7)) {
      const err = (await call(globex).catch((e) => e)) as Error;
      expect(err, name).toBeInstanceOf(NotFoundError);
      expect(err.message).toBe("Unknown case.");
    }
    await expect(createCase(db, globex, { tenant: "acme", title: "x" })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(await getCase(db, globex, c.id)).toBeNull();
    expect(await caseExists(db, globex, c.id)).toBe(false);
    expect(await caseExists(db, investigator, c.id)).toBe(true);
    await expect(caseExists(db, viewer, c.id)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await listCases(db, globex)).rows).toEqual([]);
    await expect(casesForRef(db, globex, { kind: "event", ref: ACME_EVENT, q: "" })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(
      casesForRef(db, globex, { tenant: "acme", kind: "event", ref: ACME_EVENT, q: "" }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(await getCase(db, investigator, "not-a-uuid")).toBeNull();
    const after = await getCase(db, investigator, c.id);
    expect(after?.case).toMatchObject({ title: "private", status: "open", verdict: null });
    expect(after?.history.map((h) => h.action)).toEqual(["created"]);
  });

  it("records notes, renames, verdicts, unpins, closing and reopening in the history", async () => {
    const db = database.db;
    const c = await createCase(db, investigator, {
      tenant: "acme",
      title: "lifecycle",
      pin: { kind: "event", ref: ACME_EVENT },
    });
    await addCaseNote(db, investigator, caseNoteSchema.parse({ id: c.id, text: "  looks like a retry  " }));
    await renameCase(db, investigator, { id: c.id, title: "lifecycle (retry)" });
    await setCaseVerdict(db, investigator, verdictSchema.parse({ id: c.id, verdict: "misuse" }));
    await setCaseVerdict(db, admin, verdictSchema.parse({ id: c.id, verdict: "false_positive" }));
    await unpinFromCase(db, investigator, { id: c.id, kind: "event", ref: ACME_EVENT });
    await setCaseStatus(db, investigator, { id: c.id, status: "closed" });
    await expect(
      pinToCase(db, investigator, { id: c.id, kind: "event", ref: ACME_EVENT }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(setCaseStatus(db, investigator, { id: c.id, status: "closed" })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await setCaseStatus(db, admin, { id: c.id, status: "open" });
    await setCaseVerdict(db, admin, verdictSchema.parse({ id: c.id, verdict: "" }));
    const got = await getCase(db, investigator, c.id);
    expect(got?.case).toMatchObject({ title: "lifecycle (retry)", status: "open", verdict: null });
    expect(got?.items).toEqual([]);
    expect(got?.history.map((h) => [h.action, h.detail])).toEqual([
      ["created", { title: "lifecycle" }],
      ["pinned", { kind: "event", ref: ACME_EVENT }],
      ["note", { text: "looks like a retry" }],
      ["renamed", { from: "lifecycle", to: "lifecycle (retry)" }],
      ["verdict", { from: null, to: "misuse" }],
      ["verdict", { from: "misuse", to: "false_positive" }],
      ["unpinned", { kind: "event", ref: ACME_EVENT }],
      ["closed", {}],
      ["reopened", {}],
      ["verdict", { from: "false_positive", to: null }],
    ]);
    const types = (
      await database.db
        .select({ type: events.type })
        .from(events)
        .where(and(eq(events.resourceId, c.id), like(events.type, "console.case.%")))
    ).map((e) => e.type);
    expect(types.sort()).toEqual(
      [
        "created",
        "pinned",
        "note",
        "renamed",
        "verdict",
        "verdict",
        "unpinned",
        "closed",
        "reopened",
        "verdict",
      ]
        .map((t) => `console.case.${t}`)
        .sort(),
    );
    // The note's text stays in the case, not in the tenant's audit log.
    const note = (await consoleEventsOf("console.case.note")).find((e) => e.resourceId === c.id);
    expect(JSON.stringify(note)).not.toContain("retry");
  });

  it("validates input with messages naming the field", () => {
    const bad = createCaseSchema.safeParse({ tenant: "acme", title: "   " });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ["title"], message: "Title is required." });
    const verdict = verdictSchema.safeParse({ id: uuidv7(), verdict: "guilty" });
    expect(verdict.error?.issues[0]?.message).toBe("Verdict: pick benign, misuse or false positive.");
    const note = caseNoteSchema.safeParse({ id: uuidv7(), text: "x".repeat(5001) });
    expect(note.error?.issues[0]).toMatchObject({ path: ["text"] });
  });

  it("lists newest first, a page at a time, searching titles (wildcards are literal)", async () => {
    const db = database.db;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      made.push((await createCase(db, admin, { tenant: "acme", title: `paging 100% case ${i}` })).id);
      await new Promise((r) => setTimeout(r, 2));
    }
    await createCase(db, admin, { tenant: "acme", title: "paging 1000 other" });
    const first = await listCases(db, investigator, { q: "paging 100%", limit: 2 });
    expect(first.rows.map((r) => r.title)).toEqual(["paging 100% case 4", "paging 100% case 3"]);
    const second = await listCases(db, investigator, {
      q: "paging 100%",
      limit: 2,
      after: first.next ?? undefined,
    });
    expect(second.rows.map((r) => r.title)).toEqual(["paging 100% case 2", "paging 100% case 1"]);
    const third = await listCases(db, investigator, {
      q: "paging 100%",
      limit: 2,
      after: second.next ?? undefined,
    });
    expect(third.rows.map((r) => r.title)).toEqual(["paging 100% case 0"]);
    expect(third.next).toBeNull();
    const lifecycle = await listCases(db, investigator, { q: "lifecycle" });
    expect(lifecycle.rows[0]).toMatchObject({ items: 0, status: "open" });
  });

  it("tells the pin dialog the open cases and where a ref is already pinned", async () => {
    const db = database.db;
    const c = await createCase(db, investigator, { tenant: "acme", title: "dialog target" });
    await pinToCase(db, investigator, { id: c.id, kind: "capability", ref: ACME_CAP });
    const closed = await createCase(db, investigator, { tenant: "acme", title: "dialog closed" });
    await setCaseStatus(db, investigator, { id: closed.id, status: "closed" });
    const res = await casesForRef(db, investigator, { kind: "capability", ref: ACME_CAP, q: "dialog" });
    expect(res.tenant).toBe("acme");
    expect(res.open.map((o) => o.title)).toEqual(["dialog target"]);
    expect(res.pinned.map((o) => o.title)).toContain("dialog target");
  });
});
