import { describe, expect, it } from "vitest";
import { runVerifyBundle } from "@/packages/sdk/src/evidence/cli";
import { makeBundle, newKey, vkeyOf } from "./make-bundle";

// `capability-console verify bundle`: exit 0 all genuine, 1 anything failed (or only
// self-signed), 2 usage error; and what it prints.

const m = makeBundle({ logSize: 6, picked: [1, 3, 4], after: 5 });
const later = m.consistencyTo(12);
const enc = (s: string) => new TextEncoder().encode(s);

function tamperedOne(): Uint8Array {
  const b = structuredClone(m.bundle);
  const e = b.events[1];
  if (!e) throw new Error("no event");
  // One byte: a digit of the latency.
  e.canonical = e.canonical.replace(/"latencyMs":(\d+)/, (_, d: string) => `"latencyMs":${Number(d) + 1}`);
  return enc(JSON.stringify(b));
}

const files: Record<string, Uint8Array> = {
  "bundle.json": m.bytes,
  "tampered.json": tamperedOne(),
  "console.vkey": enc(`# the console's key\n${vkeyOf(m.key)}\n`),
  "later.note": enc(later.checkpoint),
  "consistency.txt": enc(later.proof),
  "bad-consistency.txt": enc(later.proof.split("\n").reverse().join("\n")),
  "empty.vkey": enc("\n"),
};

async function run(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runVerifyBundle(argv, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    readFile: async (path) => {
      const f = files[path];
      if (!f) throw new Error("ENOENT: no such file");
      return f;
    },
  });
  return { code, stdout, stderr };
}

describe("capability-console verify bundle", () => {
  it("exits 0 and says all genuine with the console's key pinned (inline or from a file)", async () => {
    for (const key of [vkeyOf(m.key), "console.vkey"]) {
      const r = await run("bundle.json", "--key", key);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /^3 events, all genuine: checkpoint size 7 signed by console\.test\/capability-console\/acme\+/m,
      );
      expect(r.stdout).toContain("(pinned with --key)");
      expect(r.stdout).toContain("exported by ivy@acme.example");
      expect(r.stderr).toBe("");
    }
  });

  it("accepts the leading 'verify bundle' words as the bin passes them", async () => {
    expect((await run("verify", "bundle", "bundle.json", "--key", "console.vkey")).code).toBe(0);
  });

  it("exits 1 for a self-signed bundle and says to pin the key", async () => {
    const r = await run("bundle.json");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("self-signed: pin the console's key with --key");
    expect(r.stderr).toContain("self-signed");
  });

  it("exits 1 and names the event when one byte is changed", async () => {
    const r = await run("tampered.json", "--key", "console.vkey");
    expect(r.code).toBe(1);
    const id = JSON.parse(m.bundle.events[1]?.canonical ?? "{}").id;
    expect(r.stdout).toContain(`FAILED event 1 (${id}): inclusion: the event (content sha256:`);
    expect(r.stdout).toMatch(/NOT VERIFIED: 2 problem\(s\), 1 of 4 events failing/);
  });

  it("exits 1 under another key", async () => {
    const r = await run("bundle.json", "--key", vkeyOf(newKey()));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED checkpoint: signature: no signature by a trusted key/);
  });

  it("checks consistency with a later checkpoint", async () => {
    const ok = await run(
      "bundle.json",
      "--key",
      "console.vkey",
      "--later-checkpoint",
      "later.note",
      "--consistency",
      "consistency.txt",
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("consistent with the later checkpoint of size 12");
    const bad = await run(
      "bundle.json",
      "--key",
      "console.vkey",
      "--later-checkpoint",
      "later.note",
      "--consistency",
      "bad-consistency.txt",
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("FAILED later checkpoint: consistency:");
  });

  it("prints the whole report as JSON with --json", async () => {
    const r = await run("bundle.json", "--key", "console.vkey", "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: true, verdict: "genuine", eventCount: 3, checkpoint: { size: 7 } });
    expect(report.events).toHaveLength(3);
  });

  it("exits 2 with the usage for usage errors", async () => {
    const cases: [string[], RegExp][] = [
      [[], /which bundle/],
      [["a.json", "b.json"], /unexpected argument b\.json/],
      [["bundle.json", "--key"], /--key needs a value/],
      [["bundle.json", "--frobnicate"], /unknown option --frobnicate/],
      [["bundle.json", "--later-checkpoint", "later.note"], /go together/],
      [["missing.json"], /cannot read bundle missing\.json/],
      [["bundle.json", "--key", "missing.vkey"], /cannot read key file missing\.vkey/],
      [["bundle.json", "--key", "empty.vkey"], /holds no verifier key/],
      [["bundle.json", "--key", `${vkeyOf(m.key).slice(0, -4)}AAA=`], /--key .*(does not match|Ed25519)/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr, argv.join(" ")).toMatch(message);
      expect(r.stderr).toContain("usage: capability-console verify bundle");
    }
  });

  it("exits 1 for a file that is not a bundle, naming why", async () => {
    files["notes.txt"] = enc("hello");
    const r = await run("notes.txt", "--key", "console.vkey");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "FAILED bundle: format: not a capability-console/evidence-bundle@v1 file: the file is not JSON",
    );
  });
});

describe("docs/evidence.md's worked example", () => {
  it("verifies with the key the doc gives, and its tampered variant is named", async () => {
    const fs = await import("node:fs");
    const doc = fs.readFileSync(new URL("../../../docs/evidence.md", import.meta.url), "utf8");
    const bundle = /```json\n([\s\S]*?)\n```/.exec(doc)?.[1] ?? "";
    const key = /console\.vkey`\):\n\n```\n(.*)\n```/.exec(doc)?.[1] ?? "";
    files["doc-bundle.json"] = enc(bundle);
    files["doc-tampered.json"] = enc(
      bundle.replace('\\"outcome\\":\\"denied\\"', '\\"outcome\\":\\"allowed\\"'),
    );
    const ok = await run("doc-bundle.json", "--key", key);
    expect(ok.code).toBe(0);
    expect(doc).toContain(ok.stdout.trim().split("\n").at(-1) as string);
    const bad = await run("doc-tampered.json", "--key", key);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("FAILED event 1 (019ac2f0-1e00-7000-8000-000000000002): inclusion");
  });
});
