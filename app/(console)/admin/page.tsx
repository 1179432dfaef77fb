import type { Metadata } from "next";
import { requirePermission } from "@/lib/auth/guard";
import { listConsoleUsers } from "@/lib/data/console-users";
import { listTenantPolicies } from "@/lib/data/tenant-admin";
import { getDb } from "@/lib/server/db";
import { ApiKeysSection } from "./_components/api-keys-section";
import { CreateUserForm } from "./_components/create-user-form";
import { EraseSubjectForm } from "./_components/erase-form";
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
      <section aria-labelledby="erase-heading">
        <h2 id="erase-heading">Erase a person's data</h2>
        <p className="muted">
          For an erasure request (GDPR Article 17) before retention would delete the events. The person's name
          and each event's meta are removed from every event that names them, their sessions, capabilities,
          the alerts opened on their events and the Overview's counts. The audit log, its checkpoints and
          evidence bundles still verify: each event keeps a salted commitment in place of the values, and the
          key that could open it is destroyed. This cannot be undone and needs a sign-in from the last 5
          minutes. The console's own record of what admins did is kept.
        </p>
        <EraseSubjectForm tenants={policies.map((p) => ({ id: p.tenant, name: p.name }))} />
      </section>
      <IssuerKeysSection authority={authority} />
      <ApiKeysSection authority={authority} />
      <VerifyLogPanel />
    </>
  );
}
