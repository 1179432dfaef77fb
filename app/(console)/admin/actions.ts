"use server";

import type { z } from "zod";
import { defineAction, defineFormAction, type FormState } from "@/lib/actions/pipeline";
import {
  createConsoleUser,
  createConsoleUserSchema,
  setConsoleUserDisabled,
  setConsoleUserRole,
  setDisabledSchema,
  setRoleSchema,
} from "@/lib/data/console-users";

/** What the form sent back, so a refused submission keeps what was typed (never the password). */
export interface CreateUserFormValues {
  email: string;
  name: string;
  role: string;
  tenants: string[];
}
export type CreateUserState = FormState<{ email: string }, CreateUserFormValues>;

export const createConsoleUserAction = defineFormAction({
  permission: "users.manage",
  schema: createConsoleUserSchema,
  what: "create the user",
  values: (form): CreateUserFormValues => ({
    email: String(form.get("email") ?? ""),
    name: String(form.get("name") ?? ""),
    role: String(form.get("role") ?? ""),
    tenants: form.getAll("tenants").map(String),
  }),
  read: (values, form) => ({
    ...values,
    name: values.name || undefined,
    password: form.get("password") || undefined,
  }),
  run: async ({ db, authority, input }) => {
    await createConsoleUser(db, authority, input);
    return { email: input.email };
  },
  revalidate: ["/admin"],
});

export const setConsoleUserRoleAction = defineAction({
  permission: "users.manage",
  schema: setRoleSchema,
  what: "change the role",
  read: (raw: { userId: string; role: string }) => raw,
  run: ({ db, authority, input }) => setConsoleUserRole(db, authority, input),
  revalidate: ["/admin"],
});

export const setConsoleUserDisabledAction = defineAction({
  permission: "users.manage",
  schema: setDisabledSchema,
  what: (input: z.output<typeof setDisabledSchema>) =>
    input.disabled ? "disable the user" : "enable the user",
  run: ({ db, authority, input }) => setConsoleUserDisabled(db, authority, input),
  revalidate: ["/admin"],
});
