// A minimal HTTP server around handleIngest, for the crash test: run it with
//   node --import tsx --conditions=react-server tests/support/ingest-server.ts
// INGEST_DATABASE: "pglite:<dir>" or a postgres:// URL (already migrated).
// INGEST_TEST_PAUSE_BEFORE_COMMIT=1 (test only): every batch stops inside its transaction, after
// all writes and before COMMIT, and prints "paused" so the test can SIGKILL the process there.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type DatabaseTarget, openDatabase } from "@/db/client";
import { handleIngest } from "@/lib/ingest";
import { toWebRequest } from "@/lib/server/node-request";

const spec = process.env.INGEST_DATABASE ?? "";
const target: DatabaseTarget = spec.startsWith("pglite:")
  ? { kind: "pglite", dataDir: spec.slice("pglite:".length) }
  : { kind: "postgres", url: spec, poolSize: 4 };
const database = await openDatabase(target);
const pause = process.env.INGEST_TEST_PAUSE_BEFORE_COMMIT === "1";

const server = http.createServer(async (req, res) => {
  const request = toWebRequest(req);
  const response = await handleIngest(database.db, request, {
    beforeCommit: pause
      ? async () => {
          process.stdout.write("paused\n");
          await new Promise(() => {});
        }
      : undefined,
  });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
