import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { sameOriginPath } from "@/lib/auth/callback-url";
import { appendPeerAddress, clientAddress, trustedProxyHops } from "@/lib/auth/client-address";

describe("client address for the sign-in limits", () => {
  it("appends the TCP peer to whatever X-Forwarded-For the client sent", async () => {
    const server = http.createServer((req, res) => {
      appendPeerAddress(req);
      res.end(String(req.headers["x-forwarded-for"]));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      const forged = await fetch(`http://127.0.0.1:${port}/`, {
        headers: { "x-forwarded-for": "192.0.2.10" },
      });
      expect(await forged.text()).toBe("192.0.2.10, 127.0.0.1");
      const plain = await fetch(`http://127.0.0.1:${port}/`);
      expect(await plain.text()).toBe("127.0.0.1");
    } finally {
      server.close();
    }
  });

  it("believes only the entries appended by trusted proxies", () => {
    // No proxy: the peer, whatever the client claimed.
    expect(clientAddress("192.0.2.10, 203.0.113.66", 0)).toBe("203.0.113.66");
    // One proxy (which appended what it saw; the server then appended the proxy itself).
    expect(clientAddress("6.6.6.6, 198.51.100.7, 10.0.0.2", 1)).toBe("198.51.100.7");
    // A request that skipped the proxy cannot claim more than it has.
    expect(clientAddress("10.0.0.2", 1)).toBe("10.0.0.2");
    expect(clientAddress(null, 0)).toBe("unknown");
  });

  it("reads TRUST_PROXY_HOPS, defaulting to none", () => {
    expect(trustedProxyHops({})).toBe(0);
    expect(trustedProxyHops({ TRUST_PROXY_HOPS: "2" })).toBe(2);
    expect(trustedProxyHops({ TRUST_PROXY_HOPS: "-1" })).toBe(0);
    expect(trustedProxyHops({ TRUST_PROXY_HOPS: "x" })).toBe(0);
  });
});

describe("same-origin callback paths", () => {
  it.each([
    ["/\\evil.example/x", "/"],
    ["/\t/evil.example", "/"],
    ["/%09/evil.example", "/%09/evil.example"],
    ["//evil.example", "/"],
    ["/.//evil.example", "/"],
    ["https://evil.example/", "/"],
    ["javascript:alert(1)", "/"],
    ["evil.example", "/"],
    ["/events?q=outcome:denied#top", "/events?q=outcome:denied#top"],
    ["http://console.test/admin", "/admin"],
  ])("%j becomes %j", (value, expected) => {
    expect(sameOriginPath(value, { origin: "http://console.test" })).toBe(expected);
  });
});
