import type { Authority } from "@/lib/auth/authority";
import { listIssuerKeys } from "@/lib/data/tenant-admin";
import { getDb } from "@/lib/server/db";
import { AddIssuerKeyForm } from "./issuer-keys-add-form";
import { IssuerKeysTable } from "./issuer-keys-table";

/** Server component: the page's guard passes the authority in. */
export async function IssuerKeysSection({ authority }: { authority: Authority }) {
  const keys = await listIssuerKeys(await getDb(), authority);
  const now = Date.now();
  return (
    <section aria-labelledby="issuer-keys-heading">
      <h2 id="issuer-keys-heading">Issuer keys</h2>
      <p className="muted">
        The public keys agent platforms mint capabilities with (they keep the private half). Verifiers read
        them from <code>GET /api/v1/keys</code>. A retired key keeps verifying the tokens it signed until its
        grace period ends, then verifiers refuse it.
      </p>
      <IssuerKeysTable
        keys={keys.map((k) => ({
          kid: k.kid,
          tenant: k.tenant,
          publicKey: k.publicKey,
          status: k.status,
          createdAt: k.createdAt.toISOString(),
          verifiesUntil: k.verifiesUntil?.toISOString() ?? null,
          verifying: k.status === "active" || (k.verifiesUntil !== null && k.verifiesUntil.getTime() > now),
        }))}
      />
      <h3>Add an issuer key</h3>
      <AddIssuerKeyForm tenants={[...authority.tenants]} />
    </section>
  );
}
