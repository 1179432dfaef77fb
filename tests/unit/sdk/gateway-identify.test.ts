import { createHash, randomUUID } from "node:crypto";
import { ConsoleConfigFollower } from "@capability-console/sdk/gateway";
import type { GatewayClient, GatewayConfigResponse } from "@capability-console/sdk/schema";
import { describe, expect, it } from "vitest";

const credential = `gwc_${"a".repeat(43)}`;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

function client(revoked: boolean): GatewayClient {
  return {
    id: "0b4c2a52-8f0e-4a55-9d7e-2f1f5c3b9a01",
    name: "bot",
    principal: "alice@acme.example",
    agent: "support-bot",
    groups: [],
    credentialSha256: sha256(credential),
    revoked,
  };
}

/** A follower whose console serves `docs` one poll after another. */
function followerOf(docs: GatewayConfigResponse[]): ConsoleConfigFollower {
  let i = 0;
  return new ConsoleConfigFollower({
    baseUrl: "http://console.test",
    apiKey: "cc_test_key",
    intervalMs: 1000,
    fetch: async () => {
      const doc = docs[Math.min(i++, docs.length - 1)] as GatewayConfigResponse;
      return Response.json(doc, { headers: { etag: `"${doc.version}"` } });
    },
  });
}

const doc = (revoked: boolean): GatewayConfigResponse => ({
  tenant: "acme",
  version: randomUUID(),
  clients: [client(revoked)],
  rules: [],
});

describe("gateway identify", () => {
  it("remembers a header's hash, never its answer: a revocation applies to the next request", async () => {
    const follower = followerOf([doc(false), doc(true)]);
    await follower.pollOnce();
    const header = `Bearer ${credential}`;
    expect(follower.identify(header)).toMatchObject({ ok: true, client: { agent: "support-bot" } });
    expect(follower.identify(header)).toMatchObject({ ok: true });
    await follower.pollOnce();
    expect(follower.identify(header)).toMatchObject({ ok: false, error: "revoked" });
  });

  it("a malformed or unknown credential is refused every time", async () => {
    const follower = followerOf([doc(false)]);
    await follower.pollOnce();
    for (let i = 0; i < 2; i++) {
      expect(follower.identify(undefined)).toMatchObject({ ok: false, error: "missing" });
      expect(follower.identify("Basic abc")).toMatchObject({ ok: false, error: "missing" });
      expect(follower.identify(`Bearer gwc_${"b".repeat(43)}`)).toMatchObject({
        ok: false,
        error: "unknown",
      });
    }
  });
});
