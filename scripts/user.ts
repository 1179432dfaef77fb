// `npm run user -- <command>`: manage console users from a shell (the machine's operator acts
// as the system, so no console authority is needed; every change is audited as system:cli).
import { parseArgs } from "node:util";
import { eq } from "drizzle-orm";
import { openDatabase, targetFromConfig } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { consoleSessions, consoleUsers } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { loadConfig } from "@/lib/config";
import { createConsoleUserSchema, insertConsoleUser } from "@/lib/data/console-users";
import { randomId } from "@/lib/ids";

const USAGE = `Usage:
  npm run user -- create --email E --role viewer|investigator|admin --tenant T [--tenant T2] [--password P] [--name N]
  npm run user -- list
  npm run user -- disable --email E
  npm run user -- enable --email E`;

const SYSTEM = { email: "system:cli", sessionId: "cli" };

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      email: { type: "string" },
      role: { type: "string" },
      tenant: { type: "string", multiple: true },
      password: { type: "string" },
      name: { type: "string" },
    },
  });
  const command = positionals[0];
  if (!command || !["create", "list", "disable", "enable"].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  const database = await openDatabase(targetFromConfig(loadConfig()));
  try {
    await migrateDatabase(database);
    const { db } = database;
    if (command === "list") {
      const users = await db.select().from(consoleUsers).orderBy(consoleUsers.email);
      for (const u of users) {
        console.log(`${u.email}\t${u.role}\t${u.tenants.join(",")}\t${u.disabledAt ? "disabled" : "active"}`);
      }
      return 0;
    }
    if (command === "create") {
      const generated = values.password ? undefined : randomId(12);
      const parsed = createConsoleUserSchema.safeParse({
        email: values.email,
        role: values.role,
        tenants: values.tenant,
        name: values.name,
        password: values.password ?? generated,
      });
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          console.error(`--${String(issue.path[0] ?? "input")}: ${issue.message}`);
        return 2;
      }
      await db.transaction(async (tx) => {
        await insertConsoleUser(tx, parsed.data);
        await appendEvents(
          tx,
          consoleEvents({
            actor: SYSTEM,
            type: "console.user.created",
            tenants: parsed.data.tenants,
            resource: { type: "ConsoleUser", id: parsed.data.email },
            meta: { role: parsed.data.role, tenants: parsed.data.tenants },
          }),
        );
      });
      console.log(`Created ${parsed.data.email} (${parsed.data.role}; ${parsed.data.tenants.join(", ")}).`);
      if (generated) console.log(`Password: ${generated}`);
      return 0;
    }
    const email = values.email?.trim().toLowerCase();
    if (!email) {
      console.error("--email: required");
      return 2;
    }
    const disable = command === "disable";
    const done = await db.transaction(async (tx) => {
      const [user] = await tx
        .update(consoleUsers)
        .set({ disabledAt: disable ? new Date() : null, updatedAt: new Date() })
        .where(eq(consoleUsers.email, email))
        .returning();
      if (!user) return false;
      if (disable)
        await tx
          .update(consoleSessions)
          .set({ revokedAt: new Date() })
          .where(eq(consoleSessions.userId, user.id));
      await appendEvents(
        tx,
        consoleEvents({
          actor: SYSTEM,
          type: disable ? "console.user.disabled" : "console.user.enabled",
          tenants: user.tenants,
          resource: { type: "ConsoleUser", id: email },
        }),
      );
      return true;
    });
    if (!done) {
      console.error(`--email: no console user ${email}`);
      return 1;
    }
    console.log(`${disable ? "Disabled" : "Enabled"} ${email}.`);
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
