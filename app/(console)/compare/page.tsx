import type { Metadata } from "next";
import { notFound } from "next/navigation";
import type { SearchParams } from "nuqs/server";
import "@/app/(console)/requests/requests.css";
import { requirePermission } from "@/lib/auth/guard";
import { COMPARE_KINDS, type CompareKind, compareSideSchema, getCompareSide } from "@/lib/data/compare";
import { listRequests } from "@/lib/data/requests";
import { diffSides } from "@/lib/graph/compare";
import { getDb } from "@/lib/server/db";
import { CompareView } from "./_components/compare-view";
import { PickForm } from "./_components/pick-form";
import { loadCompareParams } from "./search-params";

export const metadata: Metadata = { title: "Compare" };

export default async function ComparePage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const authority = await requirePermission("console.read");
  const { kind: rawKind, tenant, a, b } = await loadCompareParams(searchParams);
  const kind = (rawKind ?? "request") as CompareKind;
  const kindError = rawKind && !COMPARE_KINDS.includes(rawKind as CompareKind);
  const idError = (["a", "b"] as const)
    .map((field) => {
      const value = field === "a" ? a : b;
      if (!value) return null;
      const parsed = compareSideSchema.safeParse({ kind: "request", id: value, tenant: tenant ?? undefined });
      return parsed.success ? null : { field, message: `${field}: ${parsed.error.issues[0]?.message}` };
    })
    .find(Boolean);
  const ready = !kindError && !idError && a && b;
  const db = await getDb();
  // Resolved before anything streams, so an unknown id (or one in a tenant outside the user's
  // view: the same answer, naming nothing) is a real 404.
  const sides = ready
    ? await Promise.all([
        getCompareSide(db, authority, { kind, id: a, tenant: tenant ?? undefined }),
        getCompareSide(db, authority, { kind, id: b, tenant: tenant ?? undefined }),
      ])
    : null;
  if (sides && (!sides[0] || !sides[1])) notFound();
  const suggestions =
    !ready && kind === "request"
      ? (await listRequests(db, authority, { tenant: tenant ?? undefined, limit: 20 })).rows
          .map((r) => r.request)
          .filter((r) => r !== a)
      : [];
  return (
    <>
      <h1>Compare {kind === "capability" ? "capabilities" : "requests"}</h1>
      <p className="muted">
        Two {kind === "capability" ? "capabilities" : "requests"} side by side: their rights block by block,
        what each step narrowed and the calls each made. What differs is marked ≠ and highlighted.
      </p>
      <PickForm
        kind={kindError ? "request" : kind}
        tenant={tenant}
        a={a}
        b={b}
        suggestions={suggestions}
        error={
          kindError
            ? { field: "kind", message: "kind: choose capability or request." }
            : (idError ?? undefined)
        }
      />
      {sides?.[0] && sides[1] ? (
        <CompareView a={sides[0]} b={sides[1]} diff={diffSides(sides[0], sides[1])} />
      ) : a && !b ? (
        <p className="notice">Pick or paste the second {kind} above to compare it with the first.</p>
      ) : null}
    </>
  );
}
