import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import { CoveragePanel } from "@/components/coverage/coverage-panel";
import type { Authority } from "@/lib/auth/authority";
import { requirePermission } from "@/lib/auth/guard";
import { coverageView, getCoverage } from "@/lib/data/coverage";
import { daySchema, todayUtc } from "@/lib/data/principal-day";
import { getDb } from "@/lib/server/db";
import { DayBody } from "./_components/day-body";

export const metadata: Metadata = { title: "Principal day" };

function shiftDay(day: string, by: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + by * 86_400_000).toISOString().slice(0, 10);
}

async function Coverage(props: { authority: Authority; principal: string; day: string; who: string }) {
  const from = new Date(`${props.day}T00:00:00.000Z`);
  const coverage = await getCoverage(await getDb(), props.authority, {
    from,
    to: new Date(from.getTime() + 86_400_000),
    principal: props.principal,
    bucket: "hour",
  });
  return <CoveragePanel title="Capability coverage" view={coverageView(coverage, props.who)} />;
}

export default async function PrincipalDayPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ day?: string }>;
}) {
  const authority = await requirePermission("console.read");
  const principal = decodeURIComponent((await params).id);
  const requested = (await searchParams).day;
  const parsed = daySchema.safeParse(requested ?? todayUtc());
  const base = `/principals/${encodeURIComponent(principal)}`;
  if (!parsed.success) {
    return (
      <>
        <h1>{principal}</h1>
        <p className="notice error" role="alert">
          {parsed.error.issues[0]?.message ?? "Bad day"}. <Link href={base}>Show today</Link>
        </p>
      </>
    );
  }
  const day = parsed.data;
  const name = principal.split("@")[0] ?? principal;
  const who = `${name.charAt(0).toUpperCase()}${name.slice(1)}'s bot`;
  return (
    <>
      <p className="muted">
        <Link href={`/principals?day=${day}`}>Principals</Link> / {principal}
      </p>
      <h1 style={{ overflowWrap: "anywhere" }}>{principal}</h1>
      <nav className="row-actions" aria-label="Day" style={{ margin: "8px 0 12px" }}>
        <Link className="button" href={`${base}?day=${shiftDay(day, -1)}`}>
          ← {shiftDay(day, -1)}
        </Link>
        <form action={base} style={{ display: "flex", gap: 6 }}>
          <input type="date" name="day" defaultValue={day} aria-label="Day" />
          <button type="submit">Show</button>
        </form>
        {day < todayUtc() ? (
          <Link className="button" href={`${base}?day=${shiftDay(day, 1)}`}>
            {shiftDay(day, 1)} →
          </Link>
        ) : null}
      </nav>
      <Suspense
        key={day}
        fallback={
          <p className="card muted" aria-busy="true">
            Reading {who}&apos;s day…
          </p>
        }
      >
        <DayBody
          authority={authority}
          principal={principal}
          day={day}
          who={who}
          coverage={
            <Suspense fallback={<p className="muted">Measuring capability coverage…</p>}>
              <Coverage authority={authority} principal={principal} day={day} who={who} />
            </Suspense>
          }
        />
      </Suspense>
    </>
  );
}
