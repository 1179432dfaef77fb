// `npm run simulate`: a live agent platform in its own process. It mints capabilities with the
// demo platform keys, narrows them for sub-agents, calls the demo tools, and sends every event
// to the running console over HTTP with the SDK. It follows the console's revocation feed, so
// a session, capability or principal revoked in the console is refused here within a second.
//
//   npm run simulate -- [--url http://localhost:3000] [--rate 1] [--duration 60] [--tenant acme]
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { IssuerKeyPair } from "@/lib/capability";
import { demoPlatformKeysPath } from "@/lib/demo/keys";
import { prng, RequestRun, runRequest } from "@/lib/demo/request";
import { DEMO_PRINCIPALS, demoTools } from "@/lib/demo/world";
import { EventSender } from "@/lib/sdk/event-sender";
import { createPlatformVerifier, type PlatformVerifier } from "@/lib/sdk/platform";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    rate: { type: "string", default: "1" },
    duration: { type: "string" },
    tenant: { type: "string", multiple: true },
  },
});

const dataDir = path.resolve(process.env.DATA_DIR || "./data");
const baseUrl = values.url ?? `http://localhost:${process.env.PORT ?? 3000}`;
const rate = Number(values.rate);
if (!(rate > 0 && rate <= 50)) throw new Error("--rate: requests per second, between 0 and 50");

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
  sender: EventSender;
  verifier: PlatformVerifier;
  tools: ReturnType<typeof demoTools>;
}

const stats = { requests: 0, events: 0, denied: 0, accepted: 0, duplicates: 0, errors: 0 };

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
  return { sender, verifier, tools: demoTools(tenant) };
}

async function main() {
  const links = new Map<string, TenantLink>();
  for (const t of tenants) links.set(t, await connect(t));
  console.log(
    `[simulate] sending to ${baseUrl} for ${tenants.join(", ")} at ${rate} request(s)/s; ` +
      `revocations followed every second (applied within ${links.values().next().value?.verifier.follower.maxDelayMs} ms). Ctrl-C stops.`,
  );
  const rng = prng(Date.now() % 2 ** 31);
  const people = DEMO_PRINCIPALS.filter((p) => tenants.includes(p.tenant));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
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
    const local = p.email.split("@")[0] ?? p.email;
    const session = `sess_${local}_${new Date().toISOString().slice(5, 10).replace("-", "")}`;
    // The scenario advances its own clock by seconds per step; starting half a minute back
    // keeps every event in the recent past.
    const run = new RequestRun(p, rng, "demo-input-digest-key", session, Date.now() - 30_000);
    await runRequest({
      run,
      issuer,
      tools: link.tools,
      revocations: link.verifier.follower.list,
      inject: rng.chance(0.02),
    });
    stats.requests++;
    for (const event of run.events) {
      stats.events++;
      if (event.outcome === "denied") stats.denied++;
      await link.sender.send(event);
    }
    await new Promise((r) => setTimeout(r, 1000 / rate));
  }
}

main().catch((err: unknown) => {
  console.error(`[simulate] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
