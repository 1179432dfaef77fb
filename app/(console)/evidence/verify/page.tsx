import type { Metadata } from "next";
import { requirePermission } from "@/lib/auth/guard";
import { listLogVerifierKeys } from "@/lib/merkle/keys";
import { getDb } from "@/lib/server/db";
import { VerifyBundle } from "./_components/verify-bundle";

export const metadata: Metadata = { title: "Verify evidence" };

export default async function VerifyEvidencePage() {
  const authority = await requirePermission("console.read");
  const db = await getDb();
  const keys = (await Promise.all(authority.tenants.map((t) => listLogVerifierKeys(db, t)))).flat();
  return (
    <>
      <h1>Verify an evidence bundle</h1>
      <p className="muted">
        Checks a bundle exported from this console (or any copy of it) in your browser: every event's
        canonical text, its inclusion proof, and the checkpoint's signature. The file is read here and sent
        nowhere. An auditor can run the same check offline with <code>capability-console verify bundle</code>.
      </p>
      <details>
        <summary>This console's verifier keys ({keys.length})</summary>
        <p className="muted">
          Pin one of these (obtained from the console's operator, out of band) to trust a bundle. A bundle
          checked only against the keys it carries itself proves nothing about who signed it.
        </p>
        <ul className="mono" data-testid="console-vkeys">
          {keys.map((k) => (
            <li key={k} style={{ wordBreak: "break-all" }}>
              {k}
            </li>
          ))}
        </ul>
      </details>
      <VerifyBundle consoleKeys={keys} />
    </>
  );
}
