import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { events } from "@/db/schema";
import { handleLogByKey, handleLogInConsole, type LogRequest } from "@/lib/api/log-routes";
import { checkpointMovedHeads } from "@/lib/audit/checkpointer";
import type { Authority } from "@/lib/auth/authority";
import { loadConfig } from "@/lib/config";
import { listTenantLogs } from "@/lib/merkle/console";
import { openNote, parseCheckpointText, parseTlogProof, parseVkey } from "@/lib/merkle/note";
import { getTreeCheckpoint, leafOfContentHash } from "@/lib/merkle/store";
import { verifyConsistency, verifyInclusion } from "@/lib/merkle/verify";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { consoleKey, newKey } from "../support/ingest-fixtures";
import { append, content } from "../support/merkle-fixtures";

// Issue 15: the Merkle log's read endpoints (lib/merkle/routes.ts behind app/api/v1/log/* and
// app/api/log/*), on the real database: what they answer, that a key sees only its tenant's
// log, and that bad input is a 4xx naming the field. Route-level auth for every identity is in
// the authorization matrix (tests/support/authz-registry.ts). Proof checks use the RFC 9162
// verifier, itself tested on the transparency-dev/merkle vectors (tests/fixtures/merkle/NOTE.md).

const holder = globalThis as typeof globalThis & { __consoleKey?: typeof consoleKey };
holder.__consoleKey = consoleKey;

describe.each(backends)("the Merkle log endpoints on $name", (backend) => {
  let database: Database;
  const keys = { acme: "", globex: "" };
  let viewer: Authority;
  const sizes = { first: 0, second: 0 };

  const byKey = (tenant: "acme" | "globex", what: LogRequest, query = "") =>
    handleLogByKey(
      database.db,
      new Request(`http://console.test/api/v1/log/x${query}`, {
        headers: { authorization: `Bearer ${keys[tenant]}` },
      }),
      what,
    );

  async function eventOf(tenant: string, id: string) {
    const [row] = await database.db
      .select()
      .from(events)
      .where(and(eq(events.tenant, tenant), eq(events.id, id)));
    if (!row) throw new Error(`no event ${id}`);
    return row;
  }

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    keys.acme = await newKey(database.db, "acme");
    keys.globex = await newKey(database.db, "globex");
    viewer = await signedIn(database.db, { email: "viewer@acme.test", role: "viewer", tenants: ["acme"] });
    await append(database.db, content("acme", 6));
    // The same event id in both tenants: ids are unique within a tenant only.
    await append(database.db, [
      { ...content("globex", 1)[0], id: "shared-id" } as never,
      ...content("globex", 3),
    ]);
    sizes.first = (await checkpointMovedHeads(database.db, { signer: consoleKey })).find(
      (c) => c.tenant === "acme",
    )?.seq as number;
    await append(database.db, [
      ...content("acme", 4),
      { ...content("acme", 1)[0], id: "shared-id" } as never,
    ]);
    sizes.second = (await checkpointMovedHeads(database.db, { signer: consoleKey })).find(
      (c) => c.tenant === "acme",
    )?.seq as number;
  });
  afterAll(() => database.close());

  it("serves the latest signed checkpoint and the vkeys it verifies with", async () => {
    const res = await byKey("acme", "checkpoint");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const note = await res.text();
    const vkeys = (await (await byKey("acme", "keys")).text()).trim().split("\n");
    expect(vkeys).toHaveLength(1);
    const cp = parseCheckpointText(openNote(note, vkeys.map(parseVkey)).text);
    expect(cp.origin).toBe(`${loadConfig().logOrigin}/acme`);
    expect(cp.size).toBe(sizes.second);
  });

  it("proves an event's inclusion in the latest checkpoint and in an older one of a given size", async () => {
    const event = await eventOf("acme", "shared-id");
    for (const query of ["?event=shared-id", `?event=shared-id&size=${sizes.second}`]) {
      const res = await byKey("acme", "inclusion", query);
      expect(res.status, query).toBe(200);
      const proof = parseTlogProof(await res.text());
      const vkeys = (await (await byKey("acme", "keys")).text()).trim().split("\n").map(parseVkey);
      const cp = parseCheckpointText(openNote(proof.signedCheckpoint, vkeys).text);
      expect(proof.index).toBe(event.seq - 1);
      expect(
        verifyInclusion({
          index: proof.index,
          size: cp.size,
          leaf: leafOfContentHash(event.contentHash),
          proof: proof.proof,
          root: cp.root,
        }),
      ).toBe(true);
    }
    expect(event.seq).toBeGreaterThan(sizes.first);
    const early = await byKey("acme", "inclusion", `?event=shared-id&size=${sizes.first}`);
    expect(early.status).toBe(409);
    expect((await early.json()).error).toMatch(/not in the tree of size/);
  });

  it("keeps tenants apart: globex's key proves globex's event of the same id against globex's log", async () => {
    const res = await byKey("globex", "inclusion", "?event=shared-id");
    expect(res.status).toBe(200);
    const proof = parseTlogProof(await res.text());
    expect(proof.index).toBe((await eventOf("globex", "shared-id")).seq - 1);
    expect(proof.signedCheckpoint).toContain("/globex\n");
    expect(proof.signedCheckpoint).not.toContain("acme");
    const firstAcme = (await database.db.select().from(events).where(eq(events.tenant, "acme")).limit(1))[0];
    const foreign = await byKey("globex", "inclusion", `?event=${firstAcme?.id}`);
    expect(foreign.status).toBe(404);
    expect(await foreign.text()).toContain(`event ${firstAcme?.id} not found`);
    // acme's checkpoint sizes are not globex's: no proof between them.
    const cons = await byKey("globex", "consistency", `?from=${sizes.first}&to=${sizes.second}`);
    expect(cons.status).toBe(404);
    const checkpoint = await (await byKey("globex", "checkpoint")).text();
    expect(checkpoint).not.toContain("acme");
  });

  it("proves consistency between two stored checkpoints", async () => {
    const res = await byKey("acme", "consistency", `?from=${sizes.first}&to=${sizes.second}`);
    expect(res.status).toBe(200);
    const proof = (await res.text())
      .trim()
      .split("\n")
      .map((l) => Uint8Array.from(Buffer.from(l, "base64")));
    const [a, b] = [
      await getTreeCheckpoint(database.db, "acme", sizes.first),
      await getTreeCheckpoint(database.db, "acme", sizes.second),
    ];
    expect(
      verifyConsistency({
        size1: sizes.first,
        size2: sizes.second,
        proof,
        root1: a?.root ?? new Uint8Array(),
        root2: b?.root ?? new Uint8Array(),
      }),
    ).toBe(true);
    const same = await byKey("acme", "consistency", `?from=${sizes.second}&to=${sizes.second}`);
    expect(same.status).toBe(200);
    expect(await same.text()).toBe("");
  });

  it("answers bad input with a 4xx naming the field, never a 500", async () => {
    const cases: [LogRequest, string, number, RegExp][] = [
      ["inclusion", "", 400, /event/],
      ["inclusion", "?event=", 400, /event/],
      ["inclusion", "?event=nope", 404, /event nope not found/],
      ["inclusion", "?event=shared-id&size=abc", 400, /size/],
      ["inclusion", "?event=shared-id&size=0", 400, /size/],
      ["inclusion", "?event=shared-id&size=99999999999999999", 400, /size/],
      ["inclusion", "?event=shared-id&size=3", 404, /size: no checkpoint of tree size 3/],
      ["consistency", "", 400, /from/],
      ["consistency", `?from=${sizes.first}`, 400, /to/],
      ["consistency", `?from=x&to=${sizes.second}`, 400, /from/],
      ["consistency", `?from=${sizes.second}&to=${sizes.first}`, 400, /from must not be larger/],
      ["consistency", `?from=2&to=${sizes.second}`, 404, /from: no checkpoint of tree size 2/],
      ["consistency", `?from=${sizes.first}&to=1000`, 404, /to: no checkpoint of tree size 1000/],
    ];
    for (const [what, query, status, message] of cases) {
      const res = await byKey("acme", what, query);
      expect(res.status, `${what}${query}`).toBe(status);
      expect((await res.json()).error).toMatch(message);
    }
    const noKey = await handleLogByKey(
      database.db,
      new Request("http://console.test/api/v1/log/checkpoint"),
      "checkpoint",
    );
    expect(noKey.status).toBe(401);
  });

  it("serves investigators in the console their tenants' log, and nothing of another tenant", async () => {
    const req = (query: string) => new Request(`http://console.test/api/log/checkpoint${query}`);
    const own = await handleLogInConsole(database.db, viewer, req("?tenant=acme"), "checkpoint");
    expect(own.status).toBe(200);
    expect(await own.text()).toContain("/acme\n");
    const other = await handleLogInConsole(database.db, viewer, req("?tenant=globex"), "checkpoint");
    expect(other.status).toBe(404);
    const none = await handleLogInConsole(database.db, viewer, req(""), "checkpoint");
    expect(none.status).toBe(400);
    expect((await none.json()).error).toMatch(/tenant/);
  });

  it("lists, for the console page, only the tenants in the viewer's scope", async () => {
    const logs = await listTenantLogs(database.db, viewer);
    expect(logs.map((l) => l.tenant)).toEqual(["acme"]);
    expect(logs[0]).toMatchObject({ latest: { size: sizes.second }, sizes: [sizes.second, sizes.first] });
    expect(logs[0]?.latest?.note).toContain("/acme\n");
  });
});
