import "server-only";
import { and, asc, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { savedQueries } from "@/db/schema";
import type { Authority } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { MAX_QUERY_LENGTH } from "@/lib/query";

export const saveQuerySchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, { error: "Name the query." })
    .max(80, { error: "Keep the name under 80 characters." }),
  query: z.string().max(MAX_QUERY_LENGTH, { error: "The query is too long." }),
});

export const deleteQuerySchema = z.object({ id: z.uuid({ error: "Unknown saved query." }) });

/** A user's own saved queries: nobody sees another user's. */
export async function listSavedQueries(db: Db, authority: Authority) {
  assertCan(authority, "queries.save");
  return db
    .select({ id: savedQueries.id, name: savedQueries.name, query: savedQueries.query })
    .from(savedQueries)
    .where(eq(savedQueries.userId, authority.userId))
    .orderBy(asc(savedQueries.name));
}

export async function saveQuery(db: Db, authority: Authority, input: z.output<typeof saveQuerySchema>) {
  assertCan(authority, "queries.save");
  const [row] = await db
    .insert(savedQueries)
    .values({ userId: authority.userId, name: input.name, query: input.query })
    .returning({ id: savedQueries.id });
  return row;
}

export async function deleteSavedQuery(
  db: Db,
  authority: Authority,
  input: z.output<typeof deleteQuerySchema>,
) {
  assertCan(authority, "queries.save");
  await db
    .delete(savedQueries)
    .where(and(eq(savedQueries.id, input.id), eq(savedQueries.userId, authority.userId)));
}
