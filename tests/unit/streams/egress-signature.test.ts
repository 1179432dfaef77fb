import { describe, expect, it } from "vitest";
import { forbiddenReason, resolveDestination } from "@/lib/streams/egress";
import { newWebhookKeys, signWebhook, verifyWebhook } from "@/lib/streams/webhook-signature";

describe("Standard Webhooks signatures", () => {
  it("matches the reference HMAC vector of the Standard Webhooks libraries", () => {
    const headers = signWebhook({
      keys: { scheme: "v1", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
      id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
    });
    expect(headers["webhook-signature"]).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("v1a (Ed25519) verifies with the public key alone, and refuses a changed body, id, time or key", () => {
    const keys = newWebhookKeys("v1a");
    expect(keys.verifyKey.startsWith("whpk_")).toBe(true);
    const body = '{"id":"0193","type":"tool.call"}';
    const headers = signWebhook({ keys, id: "0193", timestamp: 1_800_000_000, body });
    const check = (
      over: Partial<{ body: string; headers: Record<string, string>; now: number; key: string }>,
    ) =>
      verifyWebhook({
        verifyKey: over.key ?? keys.verifyKey,
        headers: over.headers ?? headers,
        body: over.body ?? body,
        nowSeconds: over.now ?? 1_800_000_010,
      });
    expect(check({})).toBe(true);
    expect(check({ body: body.replace("tool", "tool2") })).toBe(false);
    expect(check({ headers: { ...headers, "webhook-id": "0194" } })).toBe(false);
    expect(check({ now: 1_800_000_000 + 3600 })).toBe(false);
    expect(check({ key: newWebhookKeys("v1a").verifyKey })).toBe(false);
    // An HMAC key cannot be used to accept an Ed25519 signature, nor the reverse.
    expect(check({ key: newWebhookKeys("v1").verifyKey })).toBe(false);
  });
});

describe("egress guard", () => {
  it("names loopback, private, link-local, metadata and tunnelled forms of them", () => {
    for (const [address, reason] of [
      ["127.0.0.1", "loopback"],
      ["10.1.2.3", "private"],
      ["172.31.255.255", "private"],
      ["192.168.1.1", "private"],
      ["169.254.169.254", "link-local"],
      ["100.100.100.200", "carrier-grade NAT"],
      ["0.0.0.0", "'this network'"],
      ["::1", "loopback"],
      ["::", "unspecified"],
      ["fd00:ec2::254", "unique local"],
      ["fe80::1", "link-local"],
      ["::ffff:127.0.0.1", "loopback"],
      ["::ffff:7f00:1", "loopback"],
      ["64:ff9b::a9fe:a9fe", "link-local"],
      ["2002:a9fe:a9fe::1", "link-local"],
    ] as const) {
      expect(forbiddenReason(address), address).toMatch(reason);
    }
    for (const address of ["93.184.215.14", "2606:4700::6810:84e5", "8.8.8.8", "::ffff:8.8.8.8"])
      expect(forbiddenReason(address), address).toBeNull();
  });

  it("refuses a name that resolves anywhere private, unless allow-listed, and pins the checked address", async () => {
    const dns = (answers: Record<string, string[]>) => async (host: string) =>
      (answers[host] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
    const lookup = dns({
      "siem.example": ["93.184.215.14"],
      "rebind.example": ["93.184.215.14", "127.0.0.1"],
      "internal.example": ["10.20.0.5"],
    });
    const ok = await resolveDestination("https://siem.example/hec", { allow: [] }, lookup);
    expect(ok).toMatchObject({ ok: true, address: "93.184.215.14", family: 4 });
    expect(await resolveDestination("https://rebind.example/", { allow: [] }, lookup)).toMatchObject({
      ok: false,
      field: "url",
      message: expect.stringMatching(/127\.0\.0\.1, a loopback address/),
    });
    expect((await resolveDestination("https://internal.example/", { allow: [] }, lookup)).ok).toBe(false);
    expect(
      (await resolveDestination("https://internal.example/", { allow: ["10.20.0.0/16"] }, lookup)).ok,
    ).toBe(true);
    for (const bad of [
      "file:///etc/passwd",
      "gopher://x/",
      "https://user:pw@siem.example/",
      "not a url",
      "http://[::1]:3000/",
    ]) {
      expect((await resolveDestination(bad, { allow: [] }, lookup)).ok, bad).toBe(false);
    }
    // The real resolver: localhost is loopback.
    expect((await resolveDestination("http://localhost:3000/", { allow: [] })).ok).toBe(false);
  });
});
