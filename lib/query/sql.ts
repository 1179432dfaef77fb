import { and, eq, gte, ilike, inArray, like, lt, or, type SQL, sql } from "drizzle-orm";
import { type AnyPgColumn, alias, QueryBuilder } from "drizzle-orm/pg-core";
import { capabilities, events } from "@/db/schema";
import { findKey } from "./keys";
import type { ParsedQuery, QueryError, QueryNode, Term } from "./types";

/** What the caller may see: "summary" for viewers, "full" for investigators and admins. */
export type Detail = "summary" | "full";

export interface QueryScope {
  /** The tenants in view (tenantsInView(authority)); every condition stays inside them. */
  tenants: readonly string[];
  detail: Detail;
}

/**
 * `where` already includes the tenant scope. `notices` are problems that do not stop the query
 * (a tenant: outside the scope matches nothing and says so, without saying whether it exists).
 */
export type CompiledQuery =
  | { ok: true; where: SQL; notices: QueryError[] }
  | { ok: false; error: QueryError };

/** Escapes LIKE's metacharacters (backslash is Postgres's default LIKE escape). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A LIKE pattern from a user value: metacharacters escaped, then `*` as "any run". */
export function likePattern(value: string, opts: { contains: boolean }): string {
  const p = escapeLike(value).replaceAll("*", "%");
  return opts.contains ? `%${p}%` : p;
}

const qb = new QueryBuilder();

class Compiler {
  readonly notices: QueryError[] = [];
  constructor(private readonly scope: QueryScope) {}

  node(n: QueryNode): SQL {
    switch (n.kind) {
      case "and":
        return and(...n.children.map((c) => this.node(c))) ?? sql`true`;
      case "or":
        return or(...n.children.map((c) => this.node(c))) ?? sql`false`;
      // IS NOT TRUE, not NOT: "-principal:alice" must keep events whose principal is null.
      case "not":
        return sql`(${this.node(n.child)}) is not true`;
      case "term":
        return this.term(n.term);
    }
  }

  private capsInScope(cond: SQL | undefined): SQL {
    return and(inArray(capabilities.tenant, [...this.scope.tenants]), cond) ?? sql`false`;
  }

  /** Ids of the capabilities under `id` (itself included), within the scope. */
  private subtree(id: string, prefix: boolean) {
    if (!prefix)
      return qb
        .select({ id: capabilities.id })
        .from(capabilities)
        .where(
          // `ancestors @> ARRAY[id]` is the form the GIN index on ancestors answers.
          this.capsInScope(
            or(eq(capabilities.id, id), sql`${capabilities.ancestors} @> array[${id}]::text[]`),
          ),
        );
    const roots = alias(capabilities, "under_roots");
    const pattern = `${escapeLike(id)}%`;
    const rootIds = qb
      .select({ id: roots.id })
      .from(roots)
      .where(and(inArray(roots.tenant, [...this.scope.tenants]), like(roots.id, pattern)));
    return qb
      .select({ id: capabilities.id })
      .from(capabilities)
      .where(
        this.capsInScope(
          or(like(capabilities.id, pattern), sql`${capabilities.ancestors} && array${rootIds}::text[]`),
        ),
      );
  }

  private term(t: Term): SQL {
    switch (t.key) {
      case "text": {
        const p = likePattern(t.value, { contains: true });
        const cols: AnyPgColumn[] = [events.tool, events.principal, events.agent, events.resourceId];
        // Viewers' rows carry no reason, so their free text does not search it either.
        if (this.scope.detail === "full") cols.push(events.reason);
        return or(...cols.map((c) => ilike(c, p))) ?? sql`false`;
      }
      case "principal":
      case "agent":
      case "tool":
      case "type": {
        const col = events[t.key];
        return t.wildcard ? like(col, likePattern(t.value, { contains: false })) : eq(col, t.value);
      }
      case "session":
      case "request":
      case "action":
        return eq(events[t.key], t.value);
      case "field":
        return sql`${events.fields} @> array[${t.value}]::text[]`;
      case "tenant":
        if (this.scope.tenants.includes(t.value)) return eq(events.tenant, t.value);
        this.notices.push({
          ...t.span,
          message: "tenant: not in your scope.",
          hint: `You can search: ${this.scope.tenants.join(", ") || "no tenants"}.`,
        });
        return sql`false`;
      case "outcome":
        return eq(events.outcome, t.value);
      case "reason":
        return ilike(events.reason, likePattern(t.value, { contains: true }));
      case "resource":
        return (
          and(
            eq(events.resourceType, t.resourceType),
            t.resourceId === null ? undefined : eq(events.resourceId, t.resourceId),
          ) ?? sql`false`
        );
      case "after":
        return gte(events.ts, t.at);
      case "before":
        return lt(events.ts, t.at);
      case "cap":
        return t.prefix ? like(events.capabilityId, `${escapeLike(t.id)}%`) : eq(events.capabilityId, t.id);
      case "under":
        return inArray(events.capabilityId, this.subtree(t.id, t.prefix));
      case "cap.right": {
        const right: Record<string, unknown> = {};
        if (t.resource !== null) right.resource = t.resource;
        if (t.action !== null) right.actions = [t.action];
        // Containment of a partial object: the GIN (jsonb_path_ops) index on summary answers it.
        const granting = qb
          .select({ id: capabilities.id })
          .from(capabilities)
          .where(
            this.capsInScope(sql`${capabilities.summary} @> ${JSON.stringify({ rights: [right] })}::jsonb`),
          );
        return inArray(events.capabilityId, granting);
      }
    }
  }
}

function* termsOf(n: QueryNode): Generator<Term> {
  if (n.kind === "term") yield n.term;
  else if (n.kind === "not") yield* termsOf(n.child);
  else for (const c of n.children) yield* termsOf(c);
}

/**
 * Turns a parsed query into one parameterized condition on `events`, scoped to the tenants in
 * view. Every user value reaches the database as a bound parameter, never as SQL text.
 */
export function queryToSql(query: ParsedQuery, scope: QueryScope): CompiledQuery {
  if (scope.detail === "summary" && query.root) {
    for (const t of termsOf(query.root)) {
      if (t.key !== "text" && findKey(t.key)?.detail === "full")
        return {
          ok: false,
          error: {
            ...t.span,
            message: `${t.key}: needs the investigator role.`,
            hint: "Viewers see a summary of each event; search by principal, agent, tool, type, outcome, resource or time.",
          },
        };
    }
  }
  const compiler = new Compiler(scope);
  const inScope = inArray(events.tenant, [...scope.tenants]);
  const where = query.root ? (and(inScope, compiler.node(query.root)) ?? inScope) : inScope;
  return { ok: true, where, notices: compiler.notices };
}
