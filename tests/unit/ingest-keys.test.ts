import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inputDigest as toolsInputDigest } from "@capability-console/sdk/tools";
import { afterEach, describe, expect, it } from "vitest";
import { checkpointVerifier, signCheckpoint } from "@/lib/audit/checkpoint";
import { publicKeyFromPrivate } from "@/lib/capability";
import { createRateLimiter, inputDigest, inputDigestKey, inputDigestMatches } from "@/lib/ingest";
import { CONSOLE_KEY_FILE, generateConsoleKey, loadOrCreateConsoleKey } from "@/lib/server/issuer-key";

const noEnv = {} as NodeJS.ProcessEnv;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "cc-key-"));
  dirs.push(d);
  return d;
};

describe("the console issuer key", () => {
  it("is created once with mode 0600 and read back the same", () => {
    const dir = tmp();
    const a = loadOrCreateConsoleKey({ dataDir: dir, env: noEnv });
    const b = loadOrCreateConsoleKey({ dataDir: dir, env: noEnv });
    expect(b).toEqual(a);
    expect(fs.statSync(path.join(dir, CONSOLE_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(a.privateKey).toMatch(/^ed25519-private\/[0-9a-f]{64}$/);
    expect(a.publicKey).toMatch(/^ed25519\/[0-9a-f]{64}$/);
  });

  it("comes from CONSOLE_ISSUER_KEY when set, and refuses a file others can read", () => {
    const key = generateConsoleKey();
    expect(
      loadOrCreateConsoleKey({ dataDir: tmp(), env: { ...noEnv, CONSOLE_ISSUER_KEY: JSON.stringify(key) } }),
    ).toEqual(key);
    const dir = tmp();
    loadOrCreateConsoleKey({ dataDir: dir, env: noEnv });
    fs.chmodSync(path.join(dir, CONSOLE_KEY_FILE), 0o644);
    expect(() => loadOrCreateConsoleKey({ dataDir: dir, env: noEnv })).toThrow(/chmod 600/);
    expect(() =>
      loadOrCreateConsoleKey({
        dataDir: tmp(),
        env: {
          ...noEnv,
          CONSOLE_ISSUER_KEY: JSON.stringify({ ...key, publicKey: generateConsoleKey().publicKey }),
        },
      }),
    ).toThrow(/does not belong/);
  });

  it("has lib/capability's format: Biscuit derives the same public key from it", async () => {
    const key = generateConsoleKey();
    expect(await publicKeyFromPrivate(key.privateKey)).toBe(key.publicKey);
  });

  it("signs checkpoints that verify, and only as signed", () => {
    const key = generateConsoleKey();
    const cp = signCheckpoint(key, { tenant: "acme", seq: 10, hash: `sha256:${"1".repeat(64)}` });
    const verify = checkpointVerifier([key]);
    expect(verify(cp)).toBe("ok");
    expect(verify({ ...cp, seq: 11 })).toBe("bad_signature");
    expect(verify({ ...cp, tenant: "globex" })).toBe("bad_signature");
    expect(checkpointVerifier([generateConsoleKey()])(cp)).toBe("unknown_kid");
  });
});

describe("input digests", () => {
  it("are keyed, canonical and comparable in constant time", () => {
    const key = inputDigestKey(generateConsoleKey().privateKey);
    const d = inputDigest(key, { b: 2, a: 1 });
    expect(d).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(inputDigest(key, { a: 1, b: 2 })).toBe(d);
    expect(inputDigestMatches(key, { a: 1, b: 2 }, d)).toBe(true);
    expect(inputDigestMatches(key, { a: 1, b: 3 }, d)).toBe(false);
    expect(inputDigest(inputDigestKey(generateConsoleKey().privateKey), { a: 1, b: 2 })).not.toBe(d);
    // What tool wrappers put on events is what the console computes for a lookup.
    const input = { customerId: "c_381", fields: ["name", "email"], note: "ü", n: 1.5 };
    expect(inputDigest(key, input)).toBe(toolsInputDigest(input, key));
  });
});

describe("the per-key rate limiter", () => {
  it("allows a burst, then refills at the rate", () => {
    let t = 0;
    const l = createRateLimiter({ burst: 3, perSecond: 2, now: () => t });
    expect([1, 2, 3].map(() => l.take("k").ok)).toEqual([true, true, true]);
    const refused = l.take("k");
    expect(refused).toEqual({ ok: false, retryAfterMs: 500 });
    expect(l.take("other").ok).toBe(true);
    t = 500;
    expect(l.take("k").ok).toBe(true);
    expect(l.take("k").ok).toBe(false);
  });
});
