"use server";

import { defineAction } from "@/lib/actions/pipeline";
import { deleteQuerySchema, deleteSavedQuery, saveQuery, saveQuerySchema } from "@/lib/data/saved-queries";

export const saveQueryAction = defineAction({
  permission: "queries.save",
  schema: saveQuerySchema,
  what: "save the query",
  read: (raw: { name: string; query: string }) => raw,
  run: async ({ db, authority, input }) => {
    await saveQuery(db, authority, input);
  },
  revalidate: ["/events"],
});

export const deleteSavedQueryAction = defineAction({
  permission: "queries.save",
  schema: deleteQuerySchema,
  what: "delete the saved query",
  read: (raw: { id: string }) => raw,
  run: ({ db, authority, input }) => deleteSavedQuery(db, authority, input),
  revalidate: ["/events"],
});
