"use server";

import { revalidatePath } from "next/cache";
import { type ActionResult, failed, invalid } from "@/lib/actions/result";
import { authorizeAction } from "@/lib/auth/guard";
import {
  createConsoleUser,
  createConsoleUserSchema,
  setConsoleUserDisabled,
  setConsoleUserRole,
  setDisabledSchema,
  setRoleSchema,
} from "@/lib/data/console-users";
import { getDb } from "@/lib/server/db";

export async function createConsoleUserAction(
  _prev: ActionResult<{ email: string }> | null,
  form: FormData,
): Promise<ActionResult<{ email: string }>> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = createConsoleUserSchema.safeParse({
    email: form.get("email"),
    name: form.get("name") || undefined,
    role: form.get("role"),
    tenants: form.getAll("tenants"),
    password: form.get("password") || undefined,
  });
  if (!parsed.success) return invalid(parsed.error);
  try {
    await createConsoleUser(await getDb(), auth.authority, parsed.data);
  } catch (err) {
    return failed(err, "create the user");
  }
  revalidatePath("/admin");
  return { ok: true, data: { email: parsed.data.email } };
}

export async function setConsoleUserRoleAction(input: { userId: string; role: string }): Promise<ActionResult> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = setRoleSchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  try {
    await setConsoleUserRole(await getDb(), auth.authority, parsed.data);
  } catch (err) {
    return failed(err, "change the role");
  }
  revalidatePath("/admin");
  return { ok: true, data: undefined };
}

export async function setConsoleUserDisabledAction(input: { userId: string; disabled: boolean }): Promise<ActionResult> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = setDisabledSchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  try {
    await setConsoleUserDisabled(await getDb(), auth.authority, parsed.data);
  } catch (err) {
    return failed(err, input.disabled ? "disable the user" : "enable the user");
  }
  revalidatePath("/admin");
  return { ok: true, data: undefined };
}
