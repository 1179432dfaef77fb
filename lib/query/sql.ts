import { getTableColumns, getTableName, SQL, type SQLChunk, StringChunk, type Table } from "drizzle-orm";
import { capabilities, events } from "@/db/schema";
import { LIMITS } from "@/lib/ingest/event-schema";
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
  | {
      ok: true;
      where: SQL;
      notices: QueryError[];
      /**
       * The query has free text: its trigram index (events_text_trgm) is the one index on events
       * that does not lead with the tenant, so a walk per tenant would search it once per tenant.
       */
      freeText: boolean;
      /**
       * The query's own condition, without the tenant scope that `where` adds around it (its
       * capability subqueries keep theirs): for a statement that already names one tenant of
       * the scope per row, as the explorer's per-tenant page does.
       */
      filter: SQL;
    }
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

/**
 * SQL text and its bound values, written left to right, that becomes one flat drizzle SQL: text
 * chunks and values, with no nested SQL, column or Param objects. Drizzle renders that in a few
 * microseconds; the same condition built from its operators (and, eq, inArray, a select builder
 * for each subquery) took tens, on every page, more than the database spends on a first page
 * served from an index. Only the schema's own names are ever written as text (see `ref`); every
 * user value goes through `bind`.
 */
class SqlWriter {
  private readonly chunks: unknown[] = [];
  private text = "";

  write(text: string): this {
    this.text += text;
    return this;
  }

  bind(value: string): this {
    this.chunks.push(new StringChunk(this.text), value);
    this.text = "";
    return this;
  }

  /** Writes `parts` between `open` and `close`, `separator` between two parts. */
  list<T>(parts: readonly T[], each: (part: T) => void, separator: string, open = "(", close = ")"): this {
    this.write(open);
    parts.forEach((p, i) => {
      if (i > 0) this.write(separator);
      each(p);
    });
    return this.write(close);
  }

  /** Writes what `other` holds, text and bound values, as if written here. */
  append(other: SqlWriter): this {
    this.chunks.push(new StringChunk(this.text), ...other.chunks);
    this.text = other.text;
    return this;
  }

  toSql(): SQL {
    return new SQL([...this.chunks, new StringChunk(this.text)] as SQLChunk[]);
  }
}

/** A column as SQL text, `"table"."column"`, from the schema (or a fixed alias): never from input. */
function ref(table: string, column: { name: string }): string {
  return `"${table}"."${column.name}"`;
}

/** Every column of a table as SQL text, by its schema key: E.principal is `"events"."principal"`. */
function refs<T extends Table>(table: T): Record<keyof T["_"]["columns"], string> {
  const name = getTableName(table);
  const columns = Object.entries(getTableColumns(table)).map(([key, c]) => [key, ref(name, c)]);
  return Object.fromEntries(columns);
}
const E = refs(events);
const C = refs(capabilities);

// Free text searches these (and reason, for those who see it).
const TEXT_COLUMNS = [E.tool, E.principal, E.agent, E.resourceId];
/** Exactly the expression of the index events_text_trgm (migration 0013), so the planner uses it. */
export const TEXT_INDEX_EXPRESSION = `(coalesce(${E.tool}, '') || E'\\n' || coalesce(${E.principal}, '') || E'\\n' || coalesce(${E.agent}, '') || E'\\n' || coalesce(${E.resourceId}, '') || E'\\n' || coalesce(${E.reason}, ''))`;

class Compiler {
  readonly notices: QueryError[] = [];
  constructor(
    private readonly scope: QueryScope,
    private readonly out: SqlWriter,
  ) {}

  /** `column in (tenant, …)`, or false for no tenants at all. */
  inScope(column: string): void {
    if (this.scope.tenants.length === 0) this.out.write("false");
    else this.out.write(`${column} in `).list(this.scope.tenants, (t) => this.out.bind(t), ", ");
  }

  /** Both conditions, in parentheses: the form every AND of the query takes. */
  private both(first: () => void, second: () => void): void {
    this.out.write("(");
    first();
    this.out.write(" and ");
    second();
    this.out.write(")");
  }

  node(n: QueryNode): void {
    switch (n.kind) {
      case "and":
      case "or":
        if (n.children.length === 0) this.out.write(n.kind === "and" ? "true" : "false");
        else if (n.children.length === 1) this.node(n.children[0] as QueryNode);
        else this.out.list(n.children, (c) => this.node(c), ` ${n.kind} `);
        return;
      // IS NOT TRUE, not NOT: "-principal:alice" must keep events whose principal is null.
      case "not":
        this.out.write("(");
        this.node(n.child);
        this.out.write(") is not true");
        return;
      case "term":
        this.term(n.term);
        return;
    }
  }

  private compare(column: string, op: string, value: string): void {
    this.out.write(`${column} ${op} `).bind(value);
  }

  /**
   * `("events"."tenant", "events"."capability_id") in (select "tenant", "id" from "capabilities"
   * where (in scope and cond))`: capability ids are unique per tenant only, so an event matches
   * only its own tenant's capability, never another tenant's with the same id.
   */
  private eventCapabilityIn(cond: () => void): void {
    this.out.write(`(${E.tenant}, ${E.capabilityId}) in (select "tenant", "id" from "capabilities" where `);
    this.both(() => this.inScope(C.tenant), cond);
    this.out.write(")");
  }

  /** Events under the capability `id` (itself included), within the scope. */
  private subtree(id: string, prefix: boolean): void {
    if (!prefix) {
      // `ancestors @> ARRAY[id]` is the form the GIN index on ancestors answers.
      this.eventCapabilityIn(() => {
        this.out.write("(");
        this.compare(C.id, "=", id);
        this.out.write(` or ${C.ancestors} @> array[`).bind(id).write("]::text[])");
      });
      return;
    }
    const pattern = `${escapeLike(id)}%`;
    this.eventCapabilityIn(() => {
      this.out.write("(");
      this.compare(C.id, "like", pattern);
      // The roots whose id starts with the prefix, under an alias of the same table.
      this.out.write(` or ${C.ancestors} && array(select "id" from "capabilities" "under_roots" where `);
      // The same tenant's roots only (ids are unique per tenant).
      this.both(
        () => this.out.write(`${ref("under_roots", capabilities.tenant)} = ${C.tenant}`),
        () => this.compare(ref("under_roots", capabilities.id), "like", pattern),
      );
      this.out.write(")::text[])");
    });
  }

  private term(t: Term): void {
    switch (t.key) {
      case "text": {
        const p = likePattern(t.value, { contains: true });
        // Viewers' rows carry no reason, so their free text does not search it either.
        const cols = this.scope.detail === "full" ? [...TEXT_COLUMNS, E.reason] : TEXT_COLUMNS;
        // The trigram index's expression narrows the rows (migration 0013); each column's own
        // ILIKE decides, so text spanning two columns, or a viewer's match in a reason, never counts.
        this.out.write(`(${TEXT_INDEX_EXPRESSION} ilike `).bind(p).write(" and ");
        this.out.list(cols, (c) => this.compare(c, "ilike", p), " or ");
        this.out.write(")");
        return;
      }
      case "principal":
      case "agent":
      case "tool":
      case "type": {
        const col = E[t.key];
        if (t.wildcard) this.compare(col, "like", likePattern(t.value, { contains: false }));
        else this.compare(col, "=", t.value);
        return;
      }
      case "session":
      case "request":
      case "action":
        this.compare(E[t.key], "=", t.value);
        return;
      case "field":
        this.out.write(`${E.fields} @> array[`).bind(t.value).write("]::text[]");
        return;
      case "tenant":
        if (this.scope.tenants.includes(t.value)) {
          this.compare(E.tenant, "=", t.value);
          return;
        }
        this.notices.push({
          ...t.span,
          message: "tenant: not in your scope.",
          hint: `You can search: ${this.scope.tenants.join(", ") || "no tenants"}.`,
        });
        this.out.write("false");
        return;
      case "outcome":
        this.compare(E.outcome, "=", t.value);
        return;
      case "reason":
        this.compare(E.reason, "ilike", likePattern(t.value, { contains: true }));
        return;
      case "resource": {
        const resourceId = t.resourceId;
        if (resourceId === null) this.compare(E.resourceType, "=", t.resourceType);
        else
          this.both(
            () => this.compare(E.resourceType, "=", t.resourceType),
            () => this.compare(E.resourceId, "=", resourceId),
          );
        return;
      }
      case "tier":
        this.compare(E.tier, "=", t.value);
        return;
      case "is":
        // Only tool calls are covered or not: an attested tool.call always names its capability
        // (the v1 schema requires one), so an uncovered call is an observed span without capcon.*.
        if (t.value === "observed" || t.value === "attested") this.compare(E.tier, "=", t.value);
        else
          this.out.write(
            `(${E.type} = 'tool.call' and ${E.capabilityId} is ${t.value === "uncovered" ? "" : "not "}null)`,
          );
        return;
      // The timestamp as drizzle binds a Date for a timestamptz column.
      case "after":
        // received_at is the partition key (db/partitions.ts): ingest refuses a ts more than
        // maxFutureSkewMs ahead of its arrival, so an event at or after `at` arrived at or after
        // at − skew. Saying so lets PostgreSQL skip every month before it; it matches the same rows.
        this.out.write("(");
        this.compare(E.ts, ">=", t.at.toISOString());
        this.out.write(" and ");
        this.compare(E.receivedAt, ">=", new Date(t.at.getTime() - LIMITS.maxFutureSkewMs).toISOString());
        this.out.write(")");
        return;
      case "before":
        this.compare(E.ts, "<", t.at.toISOString());
        return;
      case "cap":
        if (t.prefix) this.compare(E.capabilityId, "like", `${escapeLike(t.id)}%`);
        else this.compare(E.capabilityId, "=", t.id);
        return;
      case "under":
        this.subtree(t.id, t.prefix);
        return;
      case "cap.right": {
        const right: Record<string, unknown> = {};
        if (t.resource !== null) right.resource = t.resource;
        if (t.action !== null) right.actions = [t.action];
        // Containment of a partial object: the GIN (jsonb_path_ops) index on summary answers it.
        this.eventCapabilityIn(() =>
          this.out
            .write(`${C.summary} @> `)
            .bind(JSON.stringify({ rights: [right] }))
            .write("::jsonb"),
        );
        return;
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
            code: "forbidden",
            hint: "Viewers see a summary of each event; search by principal, agent, tool, type, outcome, resource or time.",
          },
        };
    }
  }
  // The query's own condition is compiled once: alone it is `filter`; inside the scope, `where`.
  const filter = new SqlWriter();
  const compiler = new Compiler(scope, filter);
  const root = query.root;
  if (root) compiler.node(root);
  else filter.write("true");
  const where = new SqlWriter();
  if (root) where.write("(");
  new Compiler(scope, where).inScope(E.tenant);
  if (root) where.write(" and ").append(filter).write(")");
  const freeText = root ? [...termsOf(root)].some((t) => t.key === "text") : false;
  return { ok: true, where: where.toSql(), notices: compiler.notices, freeText, filter: filter.toSql() };
}
