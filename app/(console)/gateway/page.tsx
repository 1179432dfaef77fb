import type { Metadata } from "next";
import Link from "next/link";
import { requirePermission } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import { listGatewayClients, listGatewayRules } from "@/lib/data/gateway";
import { getDb } from "@/lib/server/db";
import { ClientsTable } from "./_components/clients-table";
import { IssueClientForm } from "./_components/issue-client-form";
import { RulesSection } from "./_components/rules-section";

export const metadata: Metadata = { title: "Gateway" };
export const dynamic = "force-dynamic";

export default async function GatewayPage() {
  const authority = await requirePermission("gateway.read");
  const db = await getDb();
  const [clients, rules] = await Promise.all([
    listGatewayClients(db, authority),
    listGatewayRules(db, authority),
  ]);
  const manage = can(authority, "gateway.manage");
  return (
    <>
      <h1>Gateway</h1>
      <p className="muted">
        The MCP capability gateway stands between agents and MCP servers. An agent connects with a client
        credential issued here; it may call the tools the rules below allow and nothing else. A refused call
        can be granted once from <Link href="/escalations">Escalations</Link>. Changes reach a running gateway
        within a second. Running one: <code>docs/gateway.md</code>.
      </p>

      <h2>Clients</h2>
      {manage ? <IssueClientForm tenants={[...authority.tenants]} /> : null}
      <ClientsTable
        manage={manage}
        clients={clients.map((c) => ({
          id: c.id,
          tenant: c.tenant,
          name: c.name,
          principal: c.principal,
          agent: c.agent,
          groups: c.groups,
          prefix: c.prefix,
          createdBy: c.createdBy,
          createdAt: c.createdAt.toISOString(),
          revokedAt: c.revokedAt?.toISOString() ?? null,
          revokedBy: c.revokedBy,
        }))}
      />

      <h2>Tool rules</h2>
      <p className="muted">
        Allow rules; anything no rule allows is refused. A tool is <code>upstream.tool</code> (e.g.{" "}
        <code>fs.read_file</code>) or a prefix ending in <code>*</code>. An argument rule matches the argument
        at a dotted path against a pattern: <code>*</code> is any run without <code>/</code>, <code>**</code>{" "}
        any run.
      </p>
      <RulesSection
        manage={manage}
        tenants={[...authority.tenants]}
        rules={rules.map((r) => ({
          id: r.id,
          tenant: r.tenant,
          subjectKind: r.subjectKind,
          subjectValue: r.subjectValue ?? "",
          tool: r.tool,
          arguments: r.arguments,
          note: r.note,
          changedBy: r.updatedBy ?? r.createdBy,
          changedAt: (r.updatedAt ?? r.createdAt).toISOString(),
        }))}
      />
    </>
  );
}
