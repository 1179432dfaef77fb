// `npm run db:migrate`: apply committed migrations to DATABASE_URL or the PGlite in DATA_DIR.
import { openDatabase, targetFromConfig } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { loadConfig } from "@/lib/config";

const database = await openDatabase(targetFromConfig(loadConfig()));
try {
  await migrateDatabase(database);
  console.log(`Migrated ${database.describe}.`);
} finally {
  await database.close();
}
