import {
  type Capability,
  createTestClock,
  generateIssuerKey,
  type IssuerKeyPair,
  type MintInput,
  mintCapability,
  type Right,
  type TestClock,
} from "@capability-console/sdk/capability";

export const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);

export interface Fixture {
  clock: TestClock;
  key: IssuerKeyPair;
  otherKey: IssuerKeyPair;
  mint(overrides?: Partial<MintInput>): Promise<Capability>;
}

export const defaultRights: Right[] = [
  { resource: "Customer", actions: ["read", "write"], fields: ["name", "email", "phone"] },
  { resource: "Order", actions: ["read"] },
];

export async function createFixture(): Promise<Fixture> {
  const clock = createTestClock(T0);
  const key = await generateIssuerKey("acme-2026-11");
  const otherKey = await generateIssuerKey("other-2026-11");
  return {
    clock,
    key,
    otherKey,
    mint: (overrides = {}) =>
      mintCapability({
        issuer: key,
        tenant: "acme",
        principal: "alice@acme.example",
        agent: "alice-assistant/research",
        session: "sess_7Hq2",
        request: "req_91ab",
        rights: defaultRights,
        budget: { rows: 100 },
        ttlMs: 60_000,
        clock,
        ...overrides,
      }),
  };
}
