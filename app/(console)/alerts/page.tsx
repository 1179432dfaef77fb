import type { Metadata } from "next";
import Link from "next/link";
import { ALERT_STATUSES } from "@/db/schema";
import { EXAMPLE_RULES } from "@/lib/alerts/rule";
import { requirePermission } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import { listAlertRules, listAlerts, listBusinessHours } from "@/lib/data/alerts";
import { getDb } from "@/lib/server/db";
import { AlertsTable } from "./_components/alerts-table";
import { BusinessHoursForm } from "./_components/business-hours-form";
import { RuleForm } from "./_components/rule-form";
import { RulesTable } from "./_components/rules-table";

export const metadata: Metadata = { title: "Alerts" };
export const dynamic = "force-dynamic";

const FILTERS = ["active", ...ALERT_STATUSES] as const;
type Filter = (typeof FILTERS)[number];

export default async function AlertsPage({ searchParams }: { searchParams: Promise<{ status?: string }> }) {
  const authority = await requirePermission("alerts.triage");
  const { status: raw } = await searchParams;
  const status: Filter = FILTERS.includes(raw as Filter) ? (raw as Filter) : "active";
  const db = await getDb();
  const [alerts, rules] = await Promise.all([
    listAlerts(db, authority, { status }),
    listAlertRules(db, authority),
  ]);
  const admin = can(authority, "alerts.rules");
  return (
    <>
      <h1>Alerts</h1>
      <p className="muted">
        Standing rules over every tenant's events, evaluated as events land. Alerts are also audit events (
        <code>console.alert.opened</code>), so your streams deliver them.
      </p>
      <nav className="chips" aria-label="Alert status">
        {FILTERS.map((f) => (
          <Link
            key={f}
            href={`/alerts?status=${f}`}
            aria-current={f === status ? "page" : undefined}
            className="chip"
          >
            {f}
          </Link>
        ))}
      </nav>
      <AlertsTable
        alerts={alerts.map((a) => ({
          tenant: a.tenant,
          id: a.id,
          ruleName: a.ruleName,
          severity: a.severity,
          title: a.title,
          status: a.status,
          openedAt: a.openedAt.toISOString(),
          triggerTs: a.triggerTs.toISOString(),
          triggerId: a.eventIds[0] ?? null,
          updatedBy: a.updatedBy,
          note: a.note,
        }))}
      />
      <h2>Rules</h2>
      <RulesTable admin={admin} rules={rules.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }))} />
      {admin ? (
        <>
          <h2>Add a rule</h2>
          <RuleForm tenants={[...authority.tenants]} examples={EXAMPLE_RULES} />
          <h2>Business hours</h2>
          <p className="muted">
            Rules that fire inside or outside business hours read them in each tenant's time zone.
          </p>
          {(await listBusinessHours(db, authority)).map((h) => (
            <BusinessHoursForm key={h.tenant} hours={h} />
          ))}
        </>
      ) : null}
    </>
  );
}
