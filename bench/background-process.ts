// The bench's stand-in for scripts/background.ts on PostgreSQL: the same startBackgroundWork, in a
// process of its own, with the bench's round intervals. Env: DATABASE_URL, NEXTAUTH_SECRET,
// BENCH_ROUND_MS. Started once per measurement; on stdin, "start" runs the rounds and "stop"
// stops them and answers "stopped <CPU µs this process used since start>"; "exit" ends it.
import readline from "node:readline";
import { openDatabase } from "../db/client";
import {
  type BackgroundWork,
  backgroundTarget,
  lowerBackgroundPriority,
  startBackgroundWork,
} from "../lib/background";

const url = process.env.DATABASE_URL;
if (!url) throw new Error("DATABASE_URL is required");
const ms = Number(process.env.BENCH_ROUND_MS ?? 250);
const database = await openDatabase(backgroundTarget({ kind: "postgres", url, poolSize: 4 }));
lowerBackgroundPriority();
let work: BackgroundWork | null = null;
let cpu = process.cpuUsage();
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line === "start" && !work) {
    cpu = process.cpuUsage();
    work = startBackgroundWork(database.db, {
      signer: null,
      masterSecret: process.env.NEXTAUTH_SECRET,
      intervalMs: { deliver: ms, alerts: ms },
    });
    process.stdout.write("started\n");
  } else if (line === "stop") {
    await work?.stop();
    work = null;
    const used = process.cpuUsage(cpu);
    process.stdout.write(`stopped ${used.user + used.system}\n`);
  } else if (line === "exit") break;
}
await work?.stop();
await database.close();
process.exit(0);
