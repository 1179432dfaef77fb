import type { Metadata } from "next";
import { requireRole } from "@/lib/auth/guard";
import { listConsoleUsers } from "@/lib/data/console-users";
import { getDb } from "@/lib/server/db";
import { ApiKeysSection } from "./_components/api-keys-section";
import { CreateUserForm } from "./_components/create-user-form";
import { UsersTable } from "./_components/users-table";
import { VerifyLogPanel } from "./_components/verify-log-panel";

export const metadata: Metadata = { title: "Admin" };

export default async function AdminPage() {
  const authority = await requireRole(["admin"]);
  const users = await listConsoleUsers(await getDb(), authority);
  return (
    <>
      <h1>Admin</h1>
      <p className="muted">Console users in your tenants. Every change here is recorded in the audit log.</p>
      <h2>Console users</h2>
      <UsersTable users={users} selfId={authority.userId} />
      <h2>Add a console user</h2>
      <CreateUserForm tenants={[...authority.tenants]} />
      <ApiKeysSection authority={authority} />
      <VerifyLogPanel />
      <p className="muted" style={{ marginTop: 24 }}>
        Issuer keys are managed here once escalations land.
      </p>
    </>
  );
}
