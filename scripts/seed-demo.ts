import fs from "node:fs";
import path from "node:path";
import { count } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consoleUsers, type Role, tenants } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { insertApiKey } from "@/lib/data/api-keys";
import { insertConsoleUser } from "@/lib/data/console-users";
import { DEMO_TENANTS } from "@/lib/demo/world";
import { randomId } from "@/lib/ids";

// The demo seed, run by scripts/start.ts on an empty database. It lives with the scripts, not
// in db/, because it writes through the data layer (users, ingest keys, the audit event) and
// db/ is the bottom layer that imports nothing of lib/.

export { DEMO_TENANTS };

const DEMO_USERS: { email: string; role: Role; tenants: string[] }[] = [
  { email: "admin@console.demo", role: "admin", tenants: ["acme", "globex"] },
  { email: "investigator@console.demo", role: "investigator", tenants: ["acme", "globex"] },
  { email: "viewer@console.demo", role: "viewer", tenants: ["acme"] },
];

export interface DemoCredentials {
  users: { email: string; password: string; role: Role; tenants: string[] }[];
  apiKeys: { tenant: string; source: string; key: string }[];
}

export function demoCredentialsPath(dataDir: string): string {
  return path.join(dataDir, "demo-credentials.json");
}

/**
 * Loads the demo on a database without tenants other than the demo's and without console users,
 * and writes the sign-ins and ingest keys to DATA_DIR/demo-credentials.json (mode 0600). Returns
 * null when the database already had data. The demo loader may have added the demo's tenants
 * already (its revocations go through the console's own functions, which need them).
 */
export async function seedDemo(db: Db, dataDir: string): Promise<DemoCredentials | null> {
  const creds = await db.transaction(async (tx) => {
    const [users] = await tx.select({ n: count() }).from(consoleUsers);
    const present = await tx.select({ id: tenants.id }).from(tenants);
    const demo = new Set<string>(DEMO_TENANTS.map((t) => t.id));
    if ((users?.n ?? 0) > 0 || present.some((t) => !demo.has(t.id))) return null;
    await tx
      .insert(tenants)
      .values([...DEMO_TENANTS])
      .onConflictDoNothing();
    const out: DemoCredentials = { users: [], apiKeys: [] };
    for (const u of DEMO_USERS) {
      const password = randomId(12);
      await insertConsoleUser(tx, { ...u, password });
      out.users.push({ ...u, password });
    }
    for (const t of DEMO_TENANTS) {
      const { key } = await insertApiKey(tx, {
        tenant: t.id,
        source: "demo-simulator",
        createdBy: "system:seed",
      });
      out.apiKeys.push({ tenant: t.id, source: "demo-simulator", key });
    }
    await appendEvents(
      tx,
      consoleEvents({
        actor: { email: "system:seed", sessionId: "seed" },
        type: "console.demo.seeded",
        tenants: DEMO_TENANTS.map((t) => t.id),
        meta: { users: DEMO_USERS.map((u) => u.email) },
      }),
    );
    return out;
  });
  if (creds) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(demoCredentialsPath(dataDir), `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  }
  return creds;
}
