import "server-only";
import { revalidatePath } from "next/cache";
import type { z } from "zod";
import type { Db } from "@/db/client";
import type { Authority } from "@/lib/auth/authority";
import { authorizeAction } from "@/lib/auth/guard";
import type { Permission } from "@/lib/auth/permissions";
import { getDb } from "@/lib/server/db";
import { type ActionResult, invalid, refusal } from "./result";

// The one server-action pipeline (issue 11): authorize → parse → run → revalidate, as
// saas-starter's validatedActionWithUser. An action file says only what differs: the
// permission, the schema, the data call and what to revalidate. The audit record is not a step
// here on purpose: each data function writes its console.* event inside the same transaction
// as the change, so a failed audit write rolls the change back and surfaces here as a failure.
// No server-action directive here: only the routes' actions.ts files are endpoints.

export interface ActionContext<I> {
  authority: Authority;
  db: Db;
  input: I;
}

/** A path, or a path with its kind, as revalidatePath takes them. */
type Revalidation = string | [path: string, type: "layout" | "page"];

export interface ActionDef<S extends z.ZodType, T, Raw> {
  permission: Permission;
  schema: S;
  /** Completes "Could not …" for a failure the user cannot act on. */
  what: string | ((input: z.output<S>) => string);
  /** Shapes what the caller sent into what the schema reads (types the action's parameter). */
  read?: (raw: Raw) => unknown;
  run(ctx: ActionContext<z.output<S>>): Promise<T>;
  /** What changed, revalidated only after a success. */
  revalidate?: readonly Revalidation[];
}

async function execute<S extends z.ZodType, T, Raw>(
  def: ActionDef<S, T, Raw>,
  raw: Raw,
): Promise<ActionResult<T>> {
  // Authorize first: a refused caller learns nothing about what a valid input looks like.
  const auth = await authorizeAction(def.permission);
  if (!auth.ok) return auth;
  let what = typeof def.what === "string" ? def.what : "do that";
  let data: T;
  try {
    const parsed = def.schema.safeParse(def.read ? def.read(raw) : raw);
    if (!parsed.success) return invalid(parsed.error);
    if (typeof def.what === "function") what = def.what(parsed.data);
    data = await def.run({ authority: auth.authority, db: await getDb(), input: parsed.data });
  } catch (err) {
    return refusal(err, what);
  }
  // Outside the try: the change is committed, so a failure here must not answer "nothing changed".
  for (const target of def.revalidate ?? []) {
    if (typeof target === "string") revalidatePath(target);
    else revalidatePath(...target);
  }
  return { ok: true, data };
}

/** An action called with one argument (a button, a dialog): `(input) => result`. */
export function defineAction<S extends z.ZodType, T, Raw = z.input<S>>(
  def: ActionDef<S, T, Raw>,
): (raw: Raw) => Promise<ActionResult<T>> {
  return async (raw: Raw) => execute(def, raw);
}

export type FormState<T, V> = ActionResult<T> & { values?: V };

export interface FormActionDef<S extends z.ZodType, T, V> extends Omit<ActionDef<S, T, V>, "read"> {
  /** What the form sent, echoed on a refusal so the form keeps what was typed (never a secret). */
  values(form: FormData): V;
  /** Shapes the values (and the form, for what is not echoed) into what the schema reads. */
  read?: (values: V, form: FormData) => unknown;
}

/** A form action for useActionState: `(previous, formData) => result`, with the typed values. */
export function defineFormAction<S extends z.ZodType, T, V>(
  def: FormActionDef<S, T, V>,
): (prev: FormState<T, V> | null, form: FormData) => Promise<FormState<T, V>> {
  return async (_prev, form) => {
    const values = def.values(form);
    const read = def.read;
    const result = await execute({ ...def, read: read ? (v: V) => read(v, form) : undefined }, values);
    return result.ok ? result : { ...result, values };
  };
}
