import type { Authority } from "@/lib/auth/authority";
import { listApiKeys } from "@/lib/data/api-keys-admin";
import { getDb } from "@/lib/server/db";
import { ApiKeysCreateForm } from "./api-keys-create-form";
import { ApiKeysTable } from "./api-keys-table";

/** Server component: the page's guard passes the authority in; nothing here reads the session. */
export async function ApiKeysSection({ authority }: { authority: Authority }) {
  const keys = await listApiKeys(await getDb(), authority);
  return (
    <section aria-labelledby="api-keys-heading">
      <h2 id="api-keys-heading">Ingest API keys</h2>
      <p className="muted">
        Agent platforms send audit events to <code>POST /api/v1/events</code> with{" "}
        <code>Authorization: Bearer cck_…</code>. A key is bound to one tenant and source; it is shown once
        and stored only as a hash.
      </p>
      <ApiKeysTable
        keys={keys.map((k) => ({
          id: k.id,
          tenant: k.tenant,
          source: k.source,
          prefix: k.prefix,
          createdAt: k.createdAt.toISOString(),
          lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
          revokedAt: k.revokedAt?.toISOString() ?? null,
        }))}
      />
      <h3>Create an ingest key</h3>
      <ApiKeysCreateForm tenants={[...authority.tenants]} />
    </section>
  );
}
