import "server-only";
import { sign } from "node:crypto";
import type { Db } from "@/db/client";
import { ed25519PrivateKey } from "@/lib/audit/checkpoint";
import { getConsoleKey } from "@/lib/server/issuer-key";
import { leavesFromDb, memoryProofSource, type ProofSource } from "./proof-source";

/** `${logOrigin}/${tenant}` as the merkle log names it (CONSOLE_LOG_ORIGIN, else from NEXTAUTH_URL). */
export function fallbackOrigin(tenant: string, env: NodeJS.ProcessEnv = process.env): string {
  let host = "localhost:3000";
  try {
    if (env.NEXTAUTH_URL) host = new URL(env.NEXTAUTH_URL).host || host;
  } catch {}
  return `${env.CONSOLE_LOG_ORIGIN?.trim() || `${host}/capability-console`}/${tenant}`;
}

/**
 * The proof source the export route uses. Until the stored Merkle tree (lib/merkle/store.ts) is
 * wired in, it rebuilds the tenant's tree from the events' content hashes and signs a checkpoint
 * of the head with the console key: the same leaves, the same root, the same note format.
 */
export function evidenceProofSource(db: Db): ProofSource {
  const key = getConsoleKey();
  const hex = /^ed25519\/([0-9a-f]{64})$/.exec(key.publicKey)?.[1];
  if (!hex) throw new Error("console key: publicKey must be ed25519/<64 hex>");
  const privateKey = ed25519PrivateKey(key.privateKey);
  return memoryProofSource({
    origin: (tenant) => fallbackOrigin(tenant),
    signers: [
      {
        kid: key.kid,
        publicKey: Uint8Array.from(Buffer.from(hex, "hex")),
        sign: (m) => sign(null, m, privateKey),
      },
    ],
    leaves: (tenant) => leavesFromDb(db, tenant),
  });
}
