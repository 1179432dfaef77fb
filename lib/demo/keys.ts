import fs from "node:fs";
import path from "node:path";
import { generateIssuerKey, type IssuerKeyPair } from "@/lib/capability";

// The demo agent platform's signing keys, one per tenant. They belong to the platform, not the
// console: the console only ever learns their public halves (the issuers table). Kept in a 0600
// file beside the demo data so `npm run simulate` signs with the keys the console trusts.
export function demoPlatformKeysPath(dataDir: string): string {
  return path.join(dataDir, "demo-platform-keys.json");
}

export async function loadOrCreateDemoPlatformKeys(
  dataDir: string,
  tenants: readonly string[],
  now = new Date(),
): Promise<Record<string, IssuerKeyPair>> {
  const file = demoPlatformKeysPath(dataDir);
  if (fs.existsSync(file)) {
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { tenants: Record<string, IssuerKeyPair> }).tenants;
  }
  const month = now.toISOString().slice(0, 7);
  const keys: Record<string, IssuerKeyPair> = {};
  for (const t of tenants) keys[t] = await generateIssuerKey(`${t}-${month}`);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ tenants: keys }, null, 2)}\n`, { mode: 0o600 });
  return keys;
}
