import type { Metadata } from "next";
import { requirePermission } from "@/lib/auth/guard";
import { listConsoleUsers } from "@/lib/data/console-users";
import { listTenantPolicies } from "@/lib/data/tenant-admin";
import { getDb } from "@/lib/server/db";
import { ApiKeysSection } from "./_components/api-keys-section";
import { CreateUserForm } from "./_components/create-user-form";
import { IssuerKeysSection } from "./_components/issuer-keys-section";
import { TenantPolicyForm } from "./_components/policy-form";
import { TenantRetentionForm } from "./_components/retention-form";
import { UsersTable } from "./_components/users-table";
import { VerifyLogPanel } from "./_components/verify-log-panel";

export const metadata: Metadata = { title: "Admin" };

export default async function AdminPage() {
  const authority = await requirePermission("users.manage");
  const db = await getDb();
  const [users, policies] = await Promise.all([
    listConsoleUsers(db, authority),
    listTenantPolicies(db, authority),
  ]);
  return (
    <>
      <h1>Admin</h1>
      <p className="muted">Console users in your tenants. Every change here is recorded in the audit log.</p>
      <h2>Console users</h2>
      <UsersTable users={users} selfId={authority.userId} />
      <h2>Add a console user</h2>
      <CreateUserForm tenants={[...authority.tenants]} />
      <section aria-labelledby="policy-heading">
        <h2 id="policy-heading">Escalation policy</h2>
        <p className="muted">
          Per tenant. Under the two-person rule an escalation waits for another admin's approval, and its
          clock starts at approval. The maximum TTL is enforced on the server. Relaxing either needs a sign-in
          from the last 5 minutes.
        </p>
        {policies.map((p) => (
          <TenantPolicyForm key={p.tenant} policy={p} />
        ))}
      </section>
      <section aria-labelledby="retention-heading">
        <h2 id="retention-heading">Retention</h2>
        <p className="muted">
          How long each tenant's events are kept. Expired months are written to a signed archive that verifies
          offline and restores with one command, then deleted; the audit log still verifies from the signed
          cut. Shortening retention needs a sign-in from the last 5 minutes.
        </p>
        {policies.map((p) => (
          <TenantRetentionForm
            key={p.tenant}
            tenant={p.tenant}
            name={p.name}
            retentionDays={p.retentionDays}
          />
        ))}
      </section>
      <IssuerKeysSection authority={authority} />
      <ApiKeysSection authority={authority} />
      <VerifyLogPanel />
    </>
  );
}
