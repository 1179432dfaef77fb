// Opens the PGlite folder given as argv[2] and holds it until killed (for the lock test).
import { openDatabase } from "@/db/client";

const dir = process.argv[2];
if (!dir) throw new Error("usage: hold-pglite.ts DIR");
await openDatabase({ kind: "pglite", dataDir: dir });
console.log("holding");
setInterval(() => {}, 1 << 30);
