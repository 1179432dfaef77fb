import {
  type Capability,
  createRevocationList,
  createVerifier,
  toPublicKey,
} from "@capability-console/sdk/capability";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "./fixtures";

let f: Fixture;

beforeAll(async () => {
  f = await createFixture();
});

/** A random derivation tree: node i > 0 is narrowed from parents[i] < i. */
const treeArb = fc
  .integer({ min: 2, max: 7 })
  .chain((size) =>
    fc.tuple(
      fc.tuple(...Array.from({ length: size - 1 }, (_, i) => fc.nat({ max: i }))),
      fc.nat({ max: size - 1 }),
    ),
  );

describe("cascade revocation", () => {
  it("revoking any capability denies it and every descendant, and nothing else", async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, async ([parents, revokedIndex]) => {
        const revocations = createRevocationList();
        const verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock, revocations });
        const nodes: Capability[] = [await f.mint({ revocations })];
        parents.forEach((p, i) => {
          nodes.push(
            (nodes[p] as Capability).narrowTo({ resources: ["Customer", "Order"], ids: [`n${i}`, "x"] }),
          );
        });
        const isDescendant = (i: number): boolean =>
          i === revokedIndex || (i > 0 && isDescendant(parents[i - 1] as number));
        // Warm the verifier cache first: revocation must still be checked on every hit.
        for (const node of nodes) expect(verifier.verify(node.token).ok).toBe(true);
        revocations.revokeCapability((nodes[revokedIndex] as Capability).id);
        nodes.forEach((node, i) => {
          const verified = verifier.verify(node.token);
          const authorized = node.authorize({ resource: "Order", action: "read", id: "x" });
          if (isDescendant(i)) {
            expect(verified).toMatchObject({ ok: false, error: { code: "revoked" } });
            expect(authorized).toMatchObject({ allowed: false, code: "revoked" });
          } else {
            expect(verified.ok).toBe(true);
            expect(authorized.allowed).toBe(true);
          }
        });
      }),
      { numRuns: 15 },
    );
  });

  it("revoking a session or a principal denies all their capabilities", async () => {
    const revocations = createRevocationList();
    const verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock, revocations });
    const a = (await f.mint({ session: "sess_a" })).narrowTo({ resource: "Order" });
    const b = await f.mint({ session: "sess_b", principal: "bob@acme.example" });
    revocations.revokeSession("sess_a");
    expect(verifier.verify(a.token)).toMatchObject({
      ok: false,
      error: { message: "session sess_a is revoked" },
    });
    expect(verifier.verify(b.token).ok).toBe(true);
    revocations.revokePrincipal("bob@acme.example");
    expect(verifier.verify(b.token)).toMatchObject({
      ok: false,
      error: { message: "principal bob@acme.example is revoked" },
    });
  });
});
