// The console side of the gateway bench, in its own process (as a console is in life): its real
// route handlers over a scratch PGlite, seeded with a tenant, an admin, a gateway client and a
// read rule. Prints one JSON line {url, apiKey, credential}; two bench-only routes let the bench
// list the sessions the console knows and revoke one as the admin would.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase } from "../db/client";
import { migrateDatabase } from "../db/migrate";
import { sessions } from "../db/schema";
import { addGatewayRule, gatewayRuleInputSchema, issueGatewayClient } from "../lib/data/gateway";
import { revokeSession } from "../lib/data/revocations";
import { serveConsole } from "../tests/integration/gateway-proxy-console";
import { addTenants, signedIn } from "../tests/support/fixtures";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-bench-gateway-console-"));
const database = await openDatabase({ kind: "pglite", dataDir: dir });
await migrateDatabase(database);
const db = database.db;
await addTenants(db, ["acme"]);
const admin = await signedIn(db, { email: "bench-admin@acme.test", role: "admin", tenants: ["acme"] });
const client = await issueGatewayClient(db, admin, {
  tenant: "acme",
  name: "bench agent",
  principal: "alice@acme.example",
  agent: "bench-bot",
  groups: [],
});
await addGatewayRule(
  db,
  admin,
  gatewayRuleInputSchema.parse({ tenant: "acme", subjectKind: "any", tool: "fs.read_*", arguments: [] }),
);
const served = await serveConsole(db, "acme", [
  [
    "GET",
    /^\/bench\/sessions$/,
    async () => Response.json((await db.select({ id: sessions.id }).from(sessions)).map((r) => r.id)),
  ],
  [
    "POST",
    /^\/bench\/revoke$/,
    async (r) => {
      const { session } = (await r.json()) as { session: string };
      await revokeSession(db, admin, { tenant: "acme", session, reason: "bench" });
      return Response.json({ ok: true });
    },
  ],
]);
process.stdout.write(
  `${JSON.stringify({ url: served.url, apiKey: served.apiKey, credential: client.credential })}\n`,
);
const stop = async () => {
  await served.close();
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
