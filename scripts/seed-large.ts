// `npm run seed:large -- --events 1000000`: fills the database (DATABASE_URL, or the PGlite in
// DATA_DIR) with a large, realistic-shaped log for scale tests. Stop the console first on PGlite.
import { parseArgs } from "node:util";
import { openDatabase, targetFromConfig } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { loadConfig } from "@/lib/config";
import { seedLarge } from "@/lib/demo/large";

const { values } = parseArgs({ options: { events: { type: "string", default: "1000000" } } });
const n = Number(values.events);
if (!Number.isInteger(n) || n < 1 || n > 50_000_000) {
  console.error("--events: a whole number of events, 1 to 50,000,000");
  process.exit(2);
}
const database = await openDatabase(targetFromConfig(loadConfig()));
try {
  await migrateDatabase(database);
  const started = Date.now();
  let last = 0;
  const res = await seedLarge({
    db: database.db,
    events: n,
    onProgress: (done, total) => {
      if (Date.now() - last < 1000 && done < total) return;
      last = Date.now();
      const rate = Math.round(done / Math.max((Date.now() - started) / 1000, 0.001));
      process.stdout.write(
        `\r  ${done.toLocaleString("en")} / ${total.toLocaleString("en")} events (${Math.floor((done / total) * 100)}%, ${rate.toLocaleString("en")}/s)   `,
      );
    },
  });
  console.log(
    `\nSeeded ${res.events.toLocaleString("en")} events and ${res.capabilities.toLocaleString("en")} capabilities into ${database.describe} in ${Math.round((Date.now() - started) / 1000)} s.`,
  );
} finally {
  await database.close();
}
