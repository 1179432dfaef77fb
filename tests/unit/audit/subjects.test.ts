import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ChainedContent, canonicalContent, contentHash, contentHashOpened } from "@/lib/audit/chain";
import {
  CONTENT_VERSION_ERASABLE,
  ContentUnverifiable,
  commitmentsFromSalts,
  commitmentsOf,
  ERASED_PRINCIPAL,
  ErasedRowAltered,
  erasableEvent,
  SubjectKeyMissing,
  saltsOf,
} from "@/lib/audit/subjects";
import { event } from "../evidence/make-bundle";

// Issue 17 point 2: the content hash of an erasable event (lib/audit/subjects.ts).

const ALICE = "alice@acme.example";
const v2 = (i: number, over: Partial<ChainedContent> = {}): ChainedContent =>
  event("acme", i, { contentVersion: CONTENT_VERSION_ERASABLE, meta: { prompt: `ticket ${i}` }, ...over });

describe("erasable events' content hash", () => {
  const keys = new Map([[ALICE, randomBytes(32)]]);

  it("leaves a version 1 event's canonical text exactly as it was", () => {
    const e = event("acme", 1);
    expect(canonicalContent({ ...e, contentVersion: 1 })).toBe(canonicalContent(e));
    expect(canonicalContent(e)).toContain(`"principal":"${ALICE}"`);
    expect(canonicalContent(e)).not.toContain('"v":');
  });

  it("covers commitments, not the values, and says v:2", () => {
    const text = canonicalContent(v2(1), keys);
    expect(text).toContain('"v":2');
    expect(text).not.toContain(ALICE);
    expect(text).not.toContain("ticket 1");
    const parsed = JSON.parse(text) as Record<string, string>;
    expect(parsed.principal).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(parsed.meta).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("needs the subject's key unless erased", () => {
    expect(() => contentHash(v2(1))).toThrow(SubjectKeyMissing);
    expect(() => contentHash(v2(1), new Map([["bob@acme.example", randomBytes(32)]]))).toThrow(
      SubjectKeyMissing,
    );
  });

  it("hashes the same once erased: the stored commitments stand in for the values", () => {
    const e = v2(7);
    const before = contentHash(e, keys);
    const erased = { ...e, principal: ERASED_PRINCIPAL, meta: {}, erased: commitmentsOf(e, keys) };
    expect(contentHash(erased)).toBe(before);
    // So do the salts an archive or a bundle carries.
    const salts = saltsOf(e, keys);
    if (!salts) throw new Error("no salts");
    expect(commitmentsFromSalts(e, salts)).toEqual(commitmentsOf(e, keys));
  });

  it("binds each value: another principal, meta, id or key changes the hash; salts differ per event and field", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.dictionary(fc.string(), fc.string()), (who, meta) => {
        const e = v2(3);
        const h = contentHash(e, keys);
        const other = new Map([[who, keys.get(ALICE) as Uint8Array]]);
        if (who !== ALICE) expect(contentHash({ ...e, principal: who }, other)).not.toBe(h);
        if (JSON.stringify(meta) !== JSON.stringify(e.meta))
          expect(contentHash({ ...e, meta }, keys)).not.toBe(h);
      }),
      { numRuns: 50 },
    );
    const a = saltsOf(v2(1), keys);
    const b = saltsOf(v2(2), keys);
    expect(a?.principal).not.toBe(b?.principal);
    expect(a?.principal).not.toBe(a?.meta);
    expect(contentHash(v2(1), new Map([[ALICE, randomBytes(32)]]))).not.toBe(contentHash(v2(1), keys));
  });

  it("takes an archive's salts only for an erasable row not erased, and only 32-byte salts", () => {
    const e = v2(4);
    const salts = saltsOf(e, keys);
    if (!salts) throw new Error("no salts");
    expect(contentHashOpened(e, commitmentsFromSalts(e, salts))).toBe(contentHash(e, keys));
    const v1 = event("acme", 4);
    expect(() => contentHashOpened(v1, commitmentsFromSalts(v1, salts))).toThrow(ContentUnverifiable);
    // Bytes of the value moved into a longer salt, or a salt cut short: refused, not hashed.
    expect(() => commitmentsFromSalts(e, { ...salts, principal: `${salts.principal}22` })).toThrow(
      ContentUnverifiable,
    );
    expect(() => commitmentsFromSalts(e, { ...salts, meta: salts.meta.slice(2) })).toThrow(
      ContentUnverifiable,
    );
  });

  it("refuses an erased row that names a principal or holds meta again, and unknown versions", () => {
    const e = v2(5);
    const erased = { ...e, principal: ERASED_PRINCIPAL, meta: {}, erased: commitmentsOf(e, keys) };
    expect(() => contentHash({ ...erased, principal: "mallory@acme.example" })).toThrow(ErasedRowAltered);
    expect(() => contentHash({ ...erased, meta: { note: "x" } })).toThrow(ErasedRowAltered);
    expect(() => contentHash({ ...event("acme", 5), contentVersion: 3 })).toThrow(ContentUnverifiable);
  });

  it("makes every platform event naming a principal erasable, never the console's own", () => {
    expect(erasableEvent({ type: "tool.call", principal: ALICE })).toBe(true);
    expect(erasableEvent({ type: "tool.call", principal: null })).toBe(false);
    expect(erasableEvent({ type: "console.login", principal: ALICE })).toBe(false);
    // An alert opened on the person's event is about them, not about what a console user did.
    expect(erasableEvent({ type: "console.alert.opened", principal: ALICE })).toBe(true);
    expect(erasableEvent({ type: "console.alert.acknowledged", principal: ALICE })).toBe(false);
  });
});
