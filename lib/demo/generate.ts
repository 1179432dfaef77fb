import { type Capability, createRevocationList, type IssuerKeyPair, mintEscalation } from "@/lib/capability";
import { type DemoEvent, prng, RequestRun, type Rng, runRequest } from "./request";
import { customerIds, DEMO_PRINCIPALS, type DemoPrincipal, demoSession, demoTools, orderIds } from "./world";

export type { DemoEvent } from "./request";

export interface DemoKeys {
  /** The agent platform's issuer key per tenant. */
  tenants: Record<string, IssuerKeyPair>;
  /** The console's own key: escalations are minted with it. */
  console: IssuerKeyPair;
}

export interface DemoOptions {
  now: number;
  days: number;
  seed: number;
  keys: DemoKeys;
  digestKey: Uint8Array | string;
  requestsPerDay?: number;
  /** Sees every token minted or narrowed (tests check none is ever stored). */
  onToken?: (token: string) => void;
}

const DAY = 86_400_000;

interface RequestPlan {
  principal: DemoPrincipal;
  at: number;
  day: number;
  index: number;
}

function plans(opts: DemoOptions, rng: Rng): RequestPlan[] {
  const startOfToday = Math.floor(opts.now / DAY) * DAY;
  const out: RequestPlan[] = [];
  const perDay = opts.requestsPerDay ?? 60;
  for (let day = opts.days - 1; day >= 0; day--) {
    const dayStart = startOfToday - day * DAY;
    for (const principal of DEMO_PRINCIPALS) {
      const n = rng.int(Math.floor(perDay * 0.7), Math.ceil(perDay * 1.3));
      for (let i = 0; i < n; i++) {
        // Working hours, 07:00 to 20:00 UTC; nothing in the future.
        const at = dayStart + 7 * 3_600_000 + Math.floor(rng.next() * 13 * 3_600_000);
        if (at < opts.now - 5 * 60_000) out.push({ principal, at, day, index: i });
      }
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/** Special days, counted back from today. */
const CAROL_LEAVES_DAY = 2;
const BOB_SESSION_REVOKED_DAY = 3;
const ESCALATION_DAY = 1;

/**
 * Runs a week of agent traffic through the real capability core and example tools: real
 * tokens, real narrowing, real denials. Yields each request's events, oldest first.
 */
export async function* generateDemoEvents(opts: DemoOptions): AsyncGenerator<DemoEvent[]> {
  const rng = prng(opts.seed);
  const revocations = createRevocationList();
  const tools = { acme: demoTools("acme"), globex: demoTools("globex") };
  const injected = new Set<string>();
  const done = new Set<string>();

  for (const plan of plans(opts, rng)) {
    const p = plan.principal;
    const local = p.email.split("@")[0] ?? p.email;
    const dayKey = `${local}:${plan.day}`;
    if (p.leaves && plan.day < CAROL_LEAVES_DAY) continue; // gone
    const session = demoSession(p, plan.at);
    const run = new RequestRun(p, rng, opts.digestKey, session, plan.at);
    run.onToken = opts.onToken;
    const t = tools[p.tenant];
    const issuer = opts.keys.tenants[p.tenant];
    if (!issuer) throw new Error(`no demo issuer key for ${p.tenant}`);

    const inject = !injected.has(local) && plan.day === 4 - (DEMO_PRINCIPALS.indexOf(p) % 3);
    if (inject) injected.add(local);
    const { root, classifier } = await runRequest({ run, issuer, tools: t, revocations, inject });

    if (p.leaves && plan.day === CAROL_LEAVES_DAY && !done.has(dayKey)) {
      done.add(dayKey);
      await leaveCompany(run, root, t, revocations);
    }
    if (local === "bob" && plan.day === BOB_SESSION_REVOKED_DAY && !done.has(dayKey)) {
      done.add(dayKey);
      revocations.revokeSession(session);
      run.events.push({
        ...run.base("session.revoked", "console"),
        reason: "unusual volume from a new location",
      });
      await run.call(t.queryOrders, `${p.bot}/classifier`, classifier, { fields: ["id"], limit: 5 });
    }
    if (local === "alice" && plan.day === ESCALATION_DAY && !done.has(dayKey)) {
      done.add(dayKey);
      await escalations(run, root, t, opts.keys.console);
    }
    yield run.events;
  }
}

async function leaveCompany(
  run: RequestRun,
  root: Capability,
  t: ReturnType<typeof demoTools>,
  revocations: ReturnType<typeof createRevocationList>,
) {
  const p = run.principal;
  run.clock.advance(60_000);
  revocations.revokePrincipal(p.email);
  run.events.push({
    ...run.base("principal.revoked", "console"),
    reason: "left the company: every session revoked",
    meta: { actor: "admin@console.demo" },
  });
  // The bot still holds this request's capability; its next call is refused.
  await run.call(t.lookupCustomer, p.bot, root, { id: customerIds(p.tenant)[0], fields: ["name"] });
}

async function escalations(
  run: RequestRun,
  root: Capability,
  t: ReturnType<typeof demoTools>,
  consoleKey: IssuerKeyPair,
) {
  const p = run.principal;
  const agent = `${p.bot}/classifier`;
  const [used, late] = orderIds(p.tenant).slice(3, 5) as [string, string];
  // Without write rights the refund is denied; an admin grants exactly that one operation.
  await run.call(t.updateOrder, agent, root, { id: used, status: "refunded" });
  for (const [order, waitMs] of [
    [used, 20_000],
    [late, 75_000],
  ] as const) {
    run.clock.advance(90_000);
    const esc = await mintEscalation({
      issuer: consoleKey,
      tenant: p.tenant,
      principal: p.email,
      agent,
      session: run.session,
      request: run.request,
      operation: { resource: "Order", action: "write", id: order, fields: ["status"] },
      ttlMs: 60_000,
      clock: run.clock,
    });
    run.capabilityEvent("escalation.issued", "console", esc, {
      reason: `customer refund for ${order} approved by support lead`,
      meta: {
        grantedBy: "admin@console.demo",
        ttlSeconds: 60,
        operation: {
          tool: "orders.update_status",
          resourceType: "Order",
          resourceId: order,
          action: "write",
        },
      },
    });
    run.clock.advance(waitMs);
    const res = await run.call(
      t.updateOrder,
      agent,
      esc,
      { id: order, status: "refunded" },
      { escalation: true },
    );
    // As the console records a platform's use attempt (POST /api/v1/escalations/{id}/use).
    run.capabilityEvent("escalation.used", agent, esc, {
      outcome: res.ok ? "allowed" : "denied",
      reason: res.ok ? undefined : "the escalation has expired",
      meta: { source: "demo-platform", ...(res.ok ? {} : { code: "expired" }) },
    });
    if (!res.ok) run.capabilityEvent("escalation.expired", "console", esc, { outcome: "denied" });
  }
}
