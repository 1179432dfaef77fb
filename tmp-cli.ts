import fs from "node:fs/promises";
import { runVerifyBundle } from "@/packages/sdk/src/evidence/cli";
const code = await runVerifyBundle(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readFile: async (p) => new Uint8Array(await fs.readFile(p)),
});
process.exitCode = code;
