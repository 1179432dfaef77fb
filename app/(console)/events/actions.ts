"use server";

import { revalidatePath } from "next/cache";
import { type ActionResult, failed, invalid } from "@/lib/actions/result";
import { authorizeAction } from "@/lib/auth/guard";
import { deleteQuerySchema, deleteSavedQuery, saveQuery, saveQuerySchema } from "@/lib/data/saved-queries";
import { getDb } from "@/lib/server/db";

export async function saveQueryAction(input: { name: string; query: string }): Promise<ActionResult> {
  const auth = await authorizeAction(["viewer", "investigator", "admin"]);
  if (!auth.ok) return auth;
  const parsed = saveQuerySchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  try {
    await saveQuery(await getDb(), auth.authority, parsed.data);
  } catch (err) {
    return failed(err, "save the query");
  }
  revalidatePath("/events");
  return { ok: true, data: undefined };
}

export async function deleteSavedQueryAction(input: { id: string }): Promise<ActionResult> {
  const auth = await authorizeAction(["viewer", "investigator", "admin"]);
  if (!auth.ok) return auth;
  const parsed = deleteQuerySchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  try {
    await deleteSavedQuery(await getDb(), auth.authority, parsed.data);
  } catch (err) {
    return failed(err, "delete the saved query");
  }
  revalidatePath("/events");
  return { ok: true, data: undefined };
}
