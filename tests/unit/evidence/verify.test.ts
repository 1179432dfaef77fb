import { describe, expect, it } from "vitest";
import type { EvidenceBundle } from "@/packages/sdk/src/evidence/bundle";
import { type BundleReport, verifyBundle } from "@/packages/sdk/src/evidence/verify";
import { encode, makeBundle, newKey, signedCheckpoint, vkeyOf } from "./make-bundle";

// Issue 15 item 5: the offline verifier (packages/sdk/src/evidence), on WebCrypto only.

const pinnedTo = (m: { key: Parameters<typeof vkeyOf>[0] }) => ({ trustedKeys: [vkeyOf(m.key)] });

describe("verifyBundle on a genuine bundle", () => {
  it("says every event is genuine under the pinned key and names the key", async () => {
    const m = makeBundle({ logSize: 7, picked: [0, 2, 3, 6] });
    const r = await verifyBundle(m.bytes, pinnedTo(m));
    expect(r.failures).toEqual([]);
    expect(r.verdict).toBe("genuine");
    expect(r.ok).toBe(true);
    expect(r.events.map((e) => e.leafIndex)).toEqual([0, 2, 3, 6]);
    expect(r.events.every((e) => e.checks.inclusion === "ok" && e.checks.signature === "ok")).toBe(true);
    expect(r.exportEvent?.leafIndex).toBe(7);
    expect(r.trust.signedBy).toEqual([vkeyOf(m.key).split("+").slice(0, 2).join("+")]);
    expect(r.summary).toMatch(
      /^4 events, all genuine: checkpoint size 8 signed by console\.test\/capability-console\/acme\+[0-9a-f]{8} \(pinned\)/,
    );
  });

  it("checks everything but calls a bundle verified only with its own keys self-signed", async () => {
    const m = makeBundle({ logSize: 3 });
    const r = await verifyBundle(m.bytes);
    expect(r.failures).toEqual([]);
    expect(r.verdict).toBe("self-signed");
    expect(r.ok).toBe(false);
    expect(r.summary).toContain("self-signed: pin the console's key with --key");
  });

  it("refuses a bundle signed by another key than the pinned one", async () => {
    const m = makeBundle({ logSize: 3 });
    const r = await verifyBundle(m.bytes, { trustedKeys: [vkeyOf(newKey())] });
    expect(r.verdict).toBe("failed");
    expect(r.failures[0]).toMatchObject({ where: "checkpoint", check: "signature" });
    expect(r.failures[0]?.message).toMatch(/no signature by a trusted key/);
  });

  it("refuses a bundle made for another tenant than the pinned key's", async () => {
    const key = newKey();
    const m = makeBundle({ logSize: 3, tenant: "globex", key });
    const r = await verifyBundle(m.bytes, { trustedKeys: [vkeyOf(key, "acme")] });
    expect(r.verdict).toBe("failed");
    expect(r.failures.map((f) => f.where)).toContain("checkpoint");
  });

  it("verifies an empty selection (the export event alone proves the manifest)", async () => {
    const m = makeBundle({ logSize: 4, picked: [] });
    const r = await verifyBundle(m.bytes, pinnedTo(m));
    expect(r.failures).toEqual([]);
    expect(r.summary).toMatch(/^0 events, all genuine/);
  });
});

describe("verifyBundle names what was changed", () => {
  const m = makeBundle({ logSize: 5, picked: [1, 2, 4] });
  const verify = (b: EvidenceBundle) => verifyBundle(encode(b), pinnedTo(m));
  const clone = () => structuredClone(m.bundle);

  it("an event removed, added twice or swapped, or the manifest edited", async () => {
    const dropped = clone();
    dropped.events.splice(1, 1);
    let r = await verify(dropped);
    expect(r.failures.map((f) => f.message).join("\n")).toMatch(/eventCount is 3 but the bundle holds 2/);
    expect(r.failures.map((f) => f.message).join("\n")).toMatch(/not the ones exported/);

    const doubled = clone();
    doubled.events.push(doubled.events[0] as EvidenceBundle["events"][number]);
    r = await verify(doubled);
    expect(r.failures.find((f) => f.where.startsWith("event 3"))?.message).toMatch(
      /leaf index 1 is also claimed by event 0/,
    );

    const swapped = clone();
    swapped.events.reverse();
    r = await verify(swapped);
    expect(r.verdict).toBe("failed");

    const edited = clone();
    edited.manifest.exportedBy.email = "someone@else.example";
    r = await verify(edited);
    expect(r.failures).toEqual([
      expect.objectContaining({
        where: "manifest",
        message: expect.stringContaining("manifest.exportedBy is"),
      }),
    ]);
  });

  it("an event's content replaced by a valid, canonical other event", async () => {
    const b = clone();
    const target = b.events[1] as EvidenceBundle["events"][number];
    target.canonical = target.canonical.replace('"outcome":"allowed"', '"outcome":"denied"');
    const r = await verify(b);
    expect(r.events[1]?.checks).toMatchObject({ canonical: "ok", inclusion: "failed" });
    expect(r.failures[0]).toMatchObject({ where: `event 1 (${r.events[1]?.id})`, check: "inclusion" });
    expect(r.events[0]?.ok && r.events[2]?.ok).toBe(true);
  });

  /** Every single-character change of one field's text, each one refused with the right name. */
  async function everyChange(
    field: string,
    text: string,
    put: (b: EvidenceBundle, t: string) => void,
    expectWhere: (r: BundleReport) => void,
  ) {
    let count = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      for (const next of [c ^ 1, c === 0x41 ? 0x42 : 0x41]) {
        if (next === c) continue;
        const b = clone();
        put(b, text.slice(0, i) + String.fromCharCode(next) + text.slice(i + 1));
        const r = await verify(b);
        if (r.ok) throw new Error(`${field}: changing char ${i} (${JSON.stringify(text[i])}) went unnoticed`);
        expectWhere(r);
        count++;
      }
    }
    return count;
  }

  it("every change to one event's canonical text names that event", async () => {
    const ev = m.bundle.events[1] as EvidenceBundle["events"][number];
    const n = await everyChange(
      "canonical",
      ev.canonical,
      (b, t) => {
        (b.events[1] as typeof ev).canonical = t;
      },
      (r) => {
        expect(
          r.failures.some(
            (f) => f.where.startsWith("event 1") && (f.check === "canonical" || f.check === "inclusion"),
          ),
        ).toBe(true);
        expect(r.events[0]?.ok && r.events[2]?.ok).toBe(true);
      },
    );
    expect(n).toBeGreaterThan(600);
  });

  it("every change to one event's proof names that event", async () => {
    const ev = m.bundle.events[2] as EvidenceBundle["events"][number];
    await everyChange(
      "proof",
      ev.proof,
      (b, t) => {
        (b.events[2] as typeof ev).proof = t;
      },
      (r) => {
        expect(r.failures.some((f) => f.where.startsWith("event 2") && f.check === "inclusion")).toBe(true);
        expect(r.events[0]?.ok && r.events[1]?.ok).toBe(true);
      },
    );
  });

  it("every change to the checkpoint note, its signature line included, names the checkpoint", async () => {
    await everyChange(
      "checkpoint",
      m.bundle.checkpoint,
      (b, t) => {
        b.checkpoint = t;
      },
      (r) => {
        expect(r.failures.some((f) => f.where === "checkpoint")).toBe(true);
      },
    );
  });

  it("every change to the export event names it (the manifest's proof)", async () => {
    await everyChange(
      "exportEvent",
      m.bundle.exportEvent.canonical,
      (b, t) => {
        b.exportEvent.canonical = t;
      },
      (r) => {
        expect(r.failures.some((f) => f.where.startsWith("export event") || f.where === "manifest")).toBe(
          true,
        );
      },
    );
  });

  it("every change to the bundle's vkey is refused, pinned or not", async () => {
    const key = m.bundle.vkeys[0] as string;
    await everyChange(
      "vkey",
      key,
      (b, t) => {
        b.vkeys[0] = t;
      },
      (r) => {
        expect(r.failures.some((f) => f.where.startsWith("vkeys"))).toBe(true);
      },
    );
    // Unpinned, a changed key cannot sign the checkpoint either.
    for (let i = 0; i < key.length; i++) {
      const b = clone();
      b.vkeys[0] = key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) ^ 1) + key.slice(i + 1);
      const r = await verifyBundle(encode(b));
      expect(r.verdict, `vkey char ${i}`).toBe("failed");
      expect(r.failures.some((f) => f.where === "checkpoint" && f.check === "signature")).toBe(true);
    }
  });

  it("every change to a pinned key is refused (a usage error or an untrusted signature)", async () => {
    const key = vkeyOf(m.key);
    for (let i = 0; i < key.length; i++) {
      const changed = key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) ^ 1) + key.slice(i + 1);
      const r = await verifyBundle(m.bytes, { trustedKeys: [changed] }).catch((err: Error) => err);
      if (r instanceof Error) expect(r.name).toBe("UsageError");
      else expect(r.ok, `pinned key char ${i}`).toBe(false);
    }
  });

  it("every byte of the whole file, changed, is refused", async () => {
    const small = makeBundle({ logSize: 2, picked: [1] });
    const started = performance.now();
    for (let i = 0; i < small.bytes.length; i++) {
      const bytes = Uint8Array.from(small.bytes);
      bytes[i] = (bytes[i] as number) ^ 1;
      const r = await verifyBundle(bytes, pinnedTo(small));
      if (r.ok)
        throw new Error(
          `byte ${i} (${JSON.stringify(String.fromCharCode(small.bytes[i] as number))}) changed went unnoticed`,
        );
      expect(r.failures.length).toBeGreaterThan(0);
    }
    console.log(
      `whole-file mutations: ${small.bytes.length} bytes, each refused, in ${Math.round(performance.now() - started)} ms`,
    );
  });
});

describe("checkpoints over time", () => {
  it("a later checkpoint that extends the bundle's is consistent; a wrong proof is named", async () => {
    const m = makeBundle({ logSize: 6, picked: [0, 5], after: 9 });
    const later = m.consistencyTo(16);
    const proof = new TextEncoder().encode(later.proof);
    const r = await verifyBundle(m.bytes, {
      ...pinnedTo(m),
      later: { checkpoint: later.checkpoint, consistencyProof: proof },
    });
    expect(r.failures).toEqual([]);
    expect(r.consistency).toEqual({ checked: true, ok: true, laterSize: 16 });
    expect(r.events.every((e) => e.checks.consistency === "ok")).toBe(true);
    expect(r.summary).toContain("consistent with the later checkpoint of size 16");

    const lines = later.proof.trim().split("\n");
    const bad = [...lines].reverse().join("\n");
    const r2 = await verifyBundle(m.bytes, {
      ...pinnedTo(m),
      later: { checkpoint: later.checkpoint, consistencyProof: new TextEncoder().encode(bad) },
    });
    expect(r2.verdict).toBe("failed");
    expect(r2.failures[0]).toMatchObject({ where: "later checkpoint", check: "consistency" });
    expect(r2.events[0]?.checks.consistency).toBe("failed");

    // A later checkpoint of another tree (a rewritten log) is refused too.
    const other = makeBundle({ logSize: 16, key: m.key }).bundle.checkpoint;
    const r3 = await verifyBundle(m.bytes, {
      ...pinnedTo(m),
      later: { checkpoint: other, consistencyProof: proof },
    });
    expect(r3.failures[0]).toMatchObject({ where: "later checkpoint", check: "consistency" });
  });

  it("proofs stay valid across key rotation: an old checkpoint verifies with the retired key's vkey", async () => {
    const retired = newKey();
    const current = newKey();
    const m = makeBundle({ logSize: 4, key: retired });
    const r = await verifyBundle(m.bytes, { trustedKeys: [vkeyOf(current), vkeyOf(retired)] });
    expect(r.failures).toEqual([]);
    expect(r.verdict).toBe("genuine");
    expect(r.trust.signedBy[0]).toBe(vkeyOf(retired).split("+").slice(0, 2).join("+"));
    // Only the current key pinned: the old checkpoint is not trusted.
    const r2 = await verifyBundle(m.bytes, { trustedKeys: [vkeyOf(current)] });
    expect(r2.verdict).toBe("failed");
    // A checkpoint cosigned by both keys during the rotation verifies with either pinned.
    const text = m.bundle.checkpoint.slice(0, m.bundle.checkpoint.lastIndexOf("\n\n") + 1);
    const size = Number(text.split("\n")[1]);
    const root = Uint8Array.from(Buffer.from(text.split("\n")[2] as string, "base64"));
    const byCurrent = signedCheckpoint({ tenant: "acme", size, root, key: current });
    const cosigned = `${m.bundle.checkpoint}${byCurrent.slice(byCurrent.lastIndexOf("\n\n") + 2)}`;
    const b = structuredClone(m.bundle);
    b.checkpoint = cosigned;
    for (const e of [...b.events, b.exportEvent]) e.proof = e.proof.replace(m.bundle.checkpoint, cosigned);
    b.vkeys = [vkeyOf(current), vkeyOf(retired)];
    for (const pin of [current, retired]) {
      const r3 = await verifyBundle(encode(b), { trustedKeys: [vkeyOf(pin)] });
      expect(r3.failures).toEqual([]);
      expect(r3.verdict).toBe("genuine");
    }
  });

  it("a bundle of 10,000 events verifies offline", async () => {
    const t0 = performance.now();
    const m = makeBundle({ logSize: 10_000 });
    const t1 = performance.now();
    let progress = 0;
    const r = await verifyBundle(m.bytes, {
      ...pinnedTo(m),
      onProgress: (done) => {
        progress = done;
      },
    });
    const t2 = performance.now();
    expect(r.failures).toEqual([]);
    expect(r.verdict).toBe("genuine");
    expect(progress).toBe(10_000);
    console.log(
      `10,000-event bundle: ${(m.bytes.length / 1e6).toFixed(1)} MB, built in ${Math.round(t1 - t0)} ms, verified in ${Math.round(t2 - t1)} ms (${((t2 - t1) / 10_000).toFixed(3)} ms/event)`,
    );
  }, 120_000);
});

describe("the verifier's SHA-256", () => {
  it("agrees with WebCrypto and node:crypto on every length around the block boundaries", async () => {
    const { sha256Sync } = await import("@/packages/sdk/src/evidence/sha256");
    const { sha256Subtle } = await import("@/packages/sdk/src/evidence/crypto");
    const { createHash } = await import("node:crypto");
    for (let n = 0; n < 300; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff);
      const expected = createHash("sha256").update(data).digest("hex");
      expect(Buffer.from(sha256Sync(data)).toString("hex"), `length ${n}`).toBe(expected);
      if (n % 37 === 0) expect(Buffer.from(await sha256Subtle(data)).toString("hex")).toBe(expected);
    }
    // FIPS 180-2 appendix B.1: "abc".
    expect(Buffer.from(sha256Sync(new TextEncoder().encode("abc"))).toString("hex")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});
