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

/** What the form sent back, so a refused submission keeps what was typed (never the password). */
export interface CreateUserFormValues {
  email: string;
  name: string;
  role: string;
  tenants: string[];
}
export type CreateUserState = ActionResult<{ email: string }> & { values?: CreateUserFormValues };

export async function createConsoleUserAction(
  _prev: CreateUserState | null,
  form: FormData,
): Promise<CreateUserState> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const values: CreateUserFormValues = {
    email: String(form.get("email") ?? ""),
    name: String(form.get("name") ?? ""),
    role: String(form.get("role") ?? ""),
    tenants: form.getAll("tenants").map(String),
  };
  const parsed = createConsoleUserSchema.safeParse({
    ...values,
    name: values.name || undefined,
    password: form.get("password") || undefined,
  });
  if (!parsed.success) return { ...invalid(parsed.error), values };
  try {
    await createConsoleUser(await getDb(), auth.authority, parsed.data);
  } catch (err) {
    return { ...failed(err, "create the user"), values };
  }
  revalidatePath("/admin");
  return { ok: true, data: { email: parsed.data.email } };
}

export async function setConsoleUserRoleAction(input: {
  userId: string;
  role: string;
}): Promise<ActionResult> {
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

export async function setConsoleUserDisabledAction(input: {
  userId: string;
  disabled: boolean;
}): Promise<ActionResult> {
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
