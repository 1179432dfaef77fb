import "server-only";
import { asc, isNull } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { issuers } from "@/db/schema";
import { loadConfig } from "@/lib/config";
import { getConsoleKey } from "@/lib/server/issuer-key";
import { treeOrigin, vkeysFor } from "./sign";

// The keys a tenant's checkpoints verify with. A rotated-out console key must keep verifying the
// checkpoints it signed (they are never re-signed), so every console key the console has known is
// published: the current one, retired ones named in CONSOLE_CHECKPOINT_KEYS (as verify-log reads
// them), and every console key registered in `issuers` (tenant null; scripts/start.ts registers
// each key it starts with, so a rotation leaves the old one there).

/** Console public keys from env CONSOLE_CHECKPOINT_KEYS='[{"kid","publicKey"}]' (ignores bad entries). */
function retiredFromEnv(env: NodeJS.ProcessEnv): string[] {
  if (!env.CONSOLE_CHECKPOINT_KEYS) return [];
  try {
    const list = JSON.parse(env.CONSOLE_CHECKPOINT_KEYS) as { publicKey?: unknown }[];
    return list.flatMap((k) =>
      typeof k?.publicKey === "string" && /^ed25519\/[0-9a-f]{64}$/i.test(k.publicKey) ? [k.publicKey] : [],
    );
  } catch {
    return [];
  }
}

/** vkeys of the current console key and those in CONSOLE_CHECKPOINT_KEYS, for the tenant's origin. */
export function logVerifierKeys(tenant: string): string[] {
  const origin = treeOrigin(loadConfig().logOrigin, tenant);
  return vkeysFor(origin, [getConsoleKey().publicKey, ...retiredFromEnv(process.env)]);
}

/** As logVerifierKeys, plus every console key registered in the database: what the endpoints publish. */
export async function listLogVerifierKeys(db: Executor, tenant: string): Promise<string[]> {
  const rows = await db
    .select({ publicKey: issuers.publicKey })
    .from(issuers)
    .where(isNull(issuers.tenant))
    .orderBy(asc(issuers.createdAt), asc(issuers.kid));
  const origin = treeOrigin(loadConfig().logOrigin, tenant);
  return [
    ...new Set([
      ...logVerifierKeys(tenant),
      ...vkeysFor(
        origin,
        rows.map((r) => r.publicKey),
      ),
    ]),
  ];
}
