import "server-only";
import type { Db } from "@/db/client";
import type { CheckpointSigner } from "@/lib/audit/checkpoint";
import { coverTenantHeadNow } from "@/lib/audit/checkpointer";
import { loadConfig } from "@/lib/config";
import { listLogVerifierKeys } from "@/lib/merkle/keys";
import { getInclusionProofs, getLatestTreeCheckpoint } from "@/lib/merkle/store";
import { getConsoleKey } from "@/lib/server/issuer-key";
import type { ProofSource } from "./proof-source";

/**
 * The stored Merkle log (lib/merkle/store.ts) as the bundle builder's proof source: a signing
 * round covers the head before the export reads its checkpoint, so an export never waits for
 * the checkpointer's next tick.
 */
export function storeProofSource(
  db: Db,
  opts: {
    signer: CheckpointSigner;
    logOrigin: string;
    keys: (tenant: string) => Promise<string[]> | string[];
  },
): ProofSource {
  return {
    async checkpointNow(tenant) {
      await coverTenantHeadNow(db, { tenant, signer: opts.signer, logOrigin: opts.logOrigin });
    },
    getLatestTreeCheckpoint: (tenant) => getLatestTreeCheckpoint(db, tenant),
    getInclusionProofs: (args) => getInclusionProofs(db, args),
    logVerifierKeys: (tenant) => opts.keys(tenant),
  };
}

/** The server's proof source: the console key signs, every console key it has known verifies. */
export function evidenceProofSource(db: Db): ProofSource {
  return storeProofSource(db, {
    signer: getConsoleKey(),
    logOrigin: loadConfig().logOrigin,
    keys: (tenant) => listLogVerifierKeys(db, tenant),
  });
}
