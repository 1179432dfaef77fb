import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { logOriginFrom } from "@/lib/config";
import { Frontier } from "@/lib/merkle/frontier";
import { leafHash, rootOf } from "@/lib/merkle/hash";
import { appendLeaves, mapSource, nodeKey } from "@/lib/merkle/proof";
import { treeOrigin } from "@/lib/merkle/sign";

// The streaming tree verify-log re-derives (lib/merkle/frontier.ts) against rootOf, the RFC 6962
// MTH definition checked on the transparency-dev/merkle vectors in proofs.test.ts
// (tests/fixtures/merkle/NOTE.md), and against the node store appendEvents writes.

describe("Frontier", () => {
  it("has the RFC 6962 root after every leaf and completes exactly the stored perfect nodes", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 8 }), { maxLength: 70 }), (data) => {
        const leaves = data.map(leafHash);
        const f = new Frontier();
        const made: string[] = [];
        leaves.forEach((leaf, i) => {
          for (const n of f.append(leaf)) made.push(`${nodeKey(n)}=${Buffer.from(n.hash).toString("hex")}`);
          expect(Buffer.from(f.root()).equals(Buffer.from(rootOf(leaves.slice(0, i + 1))))).toBe(true);
        });
        const stored = appendLeaves(0, leaves, mapSource(new Map())).nodes.map(
          (n) => `${nodeKey(n)}=${Buffer.from(n.hash).toString("hex")}`,
        );
        expect(made).toEqual(stored);
      }),
    );
  });
});

describe("the log origin", () => {
  it("is CONSOLE_LOG_ORIGIN, else the console URL's host, and names the tenant", () => {
    expect(logOriginFrom({ CONSOLE_LOG_ORIGIN: "audit.example.com/cc" }, 3000)).toBe("audit.example.com/cc");
    expect(logOriginFrom({ NEXTAUTH_URL: "https://console.example.com:8443/x" }, 3000)).toBe(
      "console.example.com:8443/capability-console",
    );
    expect(logOriginFrom({}, 4000)).toBe("localhost:4000/capability-console");
    expect(() => logOriginFrom({ CONSOLE_LOG_ORIGIN: "has space" }, 3000)).toThrow(/CONSOLE_LOG_ORIGIN/);
    expect(treeOrigin("o/cc", "acme")).toBe("o/cc/acme");
    // A key name may hold no space or '+': such tenants are percent-encoded.
    expect(treeOrigin("o/cc", "a b+c")).toBe("o/cc/a%20b%2Bc");
  });
});
