// `npm run simulate`: a live agent platform in its own process. It mints capabilities with the
// demo platform keys, narrows them for sub-agents, calls the demo tools, and sends every event
// to the running console over HTTP with the SDK. It follows the console's revocation feed, so
// a session, capability or principal revoked in the console is refused here within a second.
// It also picks up the escalations an admin issues for its sessions ("picked up by the
// platform"), records each use with the console and only then acts on it; a multi-use grant is
// used again every --reuse-every seconds until the console refuses it (expired, revoked).
//
//   npm run simulate -- [--url http://localhost:3000] [--rate 1] [--duration 60] [--tenant acme]
//                       [--principal alice@acme.example]… [--reuse-every 5]
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { EventV1 } from "@capability-console/sdk/schema";
import type { IssuerKeyPair } from "@/lib/capability";
import { EscalatedRequest, escalatedCall } from "@/lib/demo/escalated";
import { demoPlatformKeysPath } from "@/lib/demo/keys";
import { prng, RequestRun, runRequest } from "@/lib/demo/request";
import { DEMO_PRINCIPALS, type DemoPrincipal, demoSession, demoTools } from "@/lib/demo/world";
import { type PickedUpEscalation, pickUpEscalations, useEscalation } from "@/lib/sdk/escalations";
import { EventSender } from "@/lib/sdk/event-sender";
import { createPlatformVerifier, type PlatformVerifier } from "@/lib/sdk/platform";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    rate: { type: "string", default: "1" },
    duration: { type: "string" },
    tenant: { type: "string", multiple: true },
    principal: { type: "string", multiple: true },
    "reuse-every": { type: "string", default: "5" },
  },
});

const dataDir = path.resolve(process.env.DATA_DIR || "./data");
const baseUrl = values.url ?? `http://localhost:${process.env.PORT ?? 3000}`;
const rate = Number(values.rate);
if (!(rate > 0 && rate <= 50)) throw new Error("--rate: requests per second, between 0 and 50");
const reuseEveryMs = Number(values["reuse-every"]) * 1000;
if (!(reuseEveryMs >= 100))
  throw new Error("--reuse-every: seconds between uses of a multi-use grant, >= 0.1");
const DIGEST_KEY = "demo-input-digest-key";

function readJson<T>(file: string, hint: string): T {
  if (!fs.existsSync(file)) throw new Error(`${file} not found: ${hint}`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

const creds = readJson<{ apiKeys: { tenant: string; key: string }[] }>(
  path.join(dataDir, "demo-credentials.json"),
  "start the console once with `npm start` (same DATA_DIR) to create the demo",
);
const platformKeys = readJson<{ tenants: Record<string, IssuerKeyPair> }>(
  demoPlatformKeysPath(dataDir),
  "start the console once with `npm start` (same DATA_DIR) to create the demo",
);
const tenants = (values.tenant ?? Object.keys(platformKeys.tenants)).filter((t) => platformKeys.tenants[t]);

interface TenantLink {
  apiKey: string;
  sender: EventSender;
  verifier: PlatformVerifier;
  tools: ReturnType<typeof demoTools>;
}

const stats = {
  requests: 0,
  events: 0,
  denied: 0,
  accepted: 0,
  duplicates: 0,
  errors: 0,
  escalationUses: 0,
  escalationRefusals: 0,
};
const log = (line: string) => console.log(`[simulate] ${line}`);

/** The session the simulator runs a principal's bot in today (the demo data's naming). */
const sessionOf = (p: DemoPrincipal) => demoSession(p, Date.now());

async function connect(tenant: string): Promise<TenantLink> {
  const apiKey = creds.apiKeys.find((k) => k.tenant === tenant)?.key;
  if (!apiKey) throw new Error(`no demo ingest key for ${tenant} in demo-credentials.json`);
  const sender = new EventSender({
    baseUrl,
    apiKey,
    batchSize: 200,
    flushIntervalMs: 500,
    onReport: (r) => {
      stats.accepted += r.accepted;
      stats.duplicates += r.duplicates;
    },
    onError: (e) => {
      stats.errors++;
      console.error(`[simulate] ${tenant}: ${e.message}`);
    },
  });
  const verifier = await createPlatformVerifier({ baseUrl, apiKey, clock: { now: () => Date.now() } });
  return { apiKey, sender, verifier, tools: demoTools(tenant) };
}

async function sendNew(link: TenantLink, run: RequestRun, from: number): Promise<number> {
  for (const event of run.events.slice(from)) {
    stats.events++;
    if (event.outcome === "denied") stats.denied++;
    // The demo builds its events as loose records; they are v1 events (the console validates them).
    await link.sender.send(event as EventV1);
  }
  return run.events.length;
}

/**
 * Runs one picked-up grant: a request of the principal's bot whose own capability is refused
 * the operation, then the grant's uses, each recorded with the console first.
 */
async function runGrant(
  p: DemoPrincipal,
  link: TenantLink,
  grant: PickedUpEscalation,
  isStopping: () => boolean,
) {
  const who = `${p.email}: escalation ${grant.id.slice(0, 8)}`;
  const verified = link.verifier.verify(grant.token);
  if (!verified.ok) {
    log(`${who}: token refused by the platform verifier (${verified.error.message})`);
    return;
  }
  const call = escalatedCall(link.tools, grant.operation);
  if ("error" in call) {
    log(`${who}: not used: ${call.error}`);
    return;
  }
  const issuer = platformKeys.tenants[p.tenant];
  if (!issuer) return;
  const session = grant.session ?? sessionOf(p);
  const run = new RequestRun(p, prng(Date.now() % 2 ** 31), DIGEST_KEY, session, Date.now());
  const req = new EscalatedRequest(run, grant, call);
  const needed = await req.tryOwnCapability(issuer, link.verifier.follower.list);
  let sent = await sendNew(link, run, 0);
  if (!needed) {
    log(`${who}: not needed, the bot's own capability allowed ${grant.operation.tool}`);
    return;
  }
  const opts = { baseUrl, apiKey: link.apiKey };
  for (;;) {
    const { decision, ran, reason } = await req.use(
      verified.capability,
      () => useEscalation(opts, grant, grant.operation),
      () => Date.now(),
    );
    sent = await sendNew(link, run, sent);
    if (!decision.allowed) {
      stats.escalationRefusals++;
      log(`${who}: use refused by the console: ${decision.code} (${decision.reason})`);
      return;
    }
    stats.escalationUses++;
    log(
      `${who}: use ${decision.useCount} allowed by the console; ${grant.operation.tool} ${ran ? "ran" : `was denied: ${reason}`}`,
    );
    if (grant.singleUse || isStopping()) return;
    await new Promise((r) => setTimeout(r, reuseEveryMs));
  }
}

async function main() {
  const links = new Map<string, TenantLink>();
  for (const t of tenants) links.set(t, await connect(t));
  console.log(
    `[simulate] sending to ${baseUrl} for ${tenants.join(", ")} at ${rate} request(s)/s; ` +
      `revocations followed every second (applied within ${links.values().next().value?.verifier.follower.maxDelayMs} ms). Ctrl-C stops.`,
  );
  const rng = prng(Date.now() % 2 ** 31);
  const wanted = values.principal;
  const people = DEMO_PRINCIPALS.filter(
    (p) => tenants.includes(p.tenant) && (!wanted || wanted.includes(p.email)),
  );
  if (people.length === 0) throw new Error("--principal: no demo principal of these tenants matches");
  let stopping = false;
  const grants = new Set<Promise<void>>();
  // Every second, the grants waiting for the sessions this platform runs.
  const pickUp = setInterval(() => {
    for (const p of people) {
      const link = links.get(p.tenant);
      if (!link || stopping) continue;
      pickUpEscalations({ baseUrl, apiKey: link.apiKey }, sessionOf(p)).then(
        (picked) => {
          for (const grant of picked) {
            log(
              `${p.email}: picked up escalation ${grant.id.slice(0, 8)} for ${grant.operation.tool} ` +
                `${grant.operation.action} ${grant.operation.resourceType}#${grant.operation.resourceId} ` +
                `(${grant.singleUse ? "single use" : "multi-use"}, expires ${grant.expiresAt})`,
            );
            const running: Promise<void> = runGrant(p, link, grant, () => stopping)
              .catch((err: unknown) => {
                stats.errors++;
                log(
                  `${p.email}: escalation ${grant.id.slice(0, 8)}: ${err instanceof Error ? err.message : err}`,
                );
              })
              .finally(() => grants.delete(running));
            grants.add(running);
          }
        },
        (err: unknown) => {
          stats.errors++;
          log(`${p.tenant}: escalation pick-up failed: ${err instanceof Error ? err.message : err}`);
        },
      );
    }
  }, 1000);
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(pickUp);
    await Promise.allSettled([...grants]);
    for (const link of links.values()) {
      link.verifier.close();
      await link.sender.close();
    }
    console.log(`[simulate] stopped: ${JSON.stringify(stats)}`);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  if (values.duration) setTimeout(() => void stop(), Number(values.duration) * 1000);
  setInterval(() => console.log(`[simulate] ${JSON.stringify(stats)}`), 10_000).unref();

  while (!stopping) {
    const p = rng.pick(people);
    const link = links.get(p.tenant);
    const issuer = platformKeys.tenants[p.tenant];
    if (!link || !issuer) continue;
    // The scenario advances its own clock by seconds per step; starting half a minute back
    // keeps every event in the recent past.
    const run = new RequestRun(p, rng, DIGEST_KEY, sessionOf(p), Date.now() - 30_000);
    await runRequest({
      run,
      issuer,
      tools: link.tools,
      revocations: link.verifier.follower.list,
      inject: rng.chance(0.02),
    });
    stats.requests++;
    await sendNew(link, run, 0);
    await new Promise((r) => setTimeout(r, 1000 / rate));
  }
}

main().catch((err: unknown) => {
  console.error(`[simulate] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
