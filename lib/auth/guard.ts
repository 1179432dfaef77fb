import "server-only";
import { cookies } from "next/headers";
import { forbidden, redirect } from "next/navigation";
import { decode } from "next-auth/jwt";
import { cache, type ReactNode } from "react";
import { getDb } from "@/lib/server/db";
import type { Authority } from "./authority";
import { can, type Permission } from "./permissions";
import { loadSessionAuthority } from "./session-authority";

export const TENANT_COOKIE = "cc_tenant";
const SESSION_COOKIES = ["__Secure-next-auth.session-token", "next-auth.session-token"];

/**
 * The one place a request's session becomes authority. Decodes next-auth's JWT cookie, then
 * checks its session id against the database, so sign-out and disabling act on the next request.
 * Cached per request by React.
 */
export const getAuthority = cache(async (): Promise<Authority | null> => {
  const jar = await cookies();
  const raw = SESSION_COOKIES.map((n) => jar.get(n)?.value).find(Boolean);
  const secret = process.env.NEXTAUTH_SECRET;
  if (!raw || !secret) return null;
  const token = await decode({ token: raw, secret }).catch(() => null);
  if (!token?.sid) return null;
  return loadSessionAuthority(await getDb(), {
    sessionId: token.sid,
    activeTenant: jar.get(TENANT_COOKIE)?.value ?? null,
  });
});

/** For pages: sign-in page when anonymous, a 403 page when the role lacks `permission`. */
export async function requirePermission(permission: Permission): Promise<Authority> {
  const authority = await getAuthority();
  if (!authority) redirect("/login");
  if (!can(authority, permission)) forbidden();
  return authority;
}

export type ActionDenied = { ok: false; error: string; fieldErrors?: Record<string, string[]> };

export const SESSION_ENDED = "Your session has ended. Sign in again.";
export const NOT_ALLOWED = "You are not allowed to do that.";

/** For server actions (through lib/actions/pipeline): a result the form can show, never a redirect. */
export async function authorizeAction(
  permission: Permission,
): Promise<{ ok: true; authority: Authority } | ActionDenied> {
  const authority = await getAuthority();
  if (!authority) return { ok: false, error: SESSION_ENDED };
  if (!can(authority, permission)) return { ok: false, error: NOT_ALLOWED };
  return { ok: true, authority };
}

/** For route handlers: the authority, or the JSON error response to return. */
export async function authorizeRoute(permission: Permission): Promise<Authority | Response> {
  const authority = await getAuthority();
  if (!authority) return Response.json({ error: "Sign in first." }, { status: 401 });
  if (!can(authority, permission))
    return Response.json({ error: "Your role does not allow this." }, { status: 403 });
  return authority;
}

/**
 * A route's layout that refuses before its loading boundary: `export default refusingLayout("x")`.
 * A loading.tsx starts the response before its page runs, so a refusal thrown by the page would
 * reach the browser as a 200; refused here, it is a real 403. The page still checks for itself.
 */
export function refusingLayout(permission: Permission) {
  // biome-ignore lint/correctness/noComponentHookFactories: called once per layout.tsx at module load, never while rendering.
  return async function RefusingLayout({ children }: { children: ReactNode }) {
    await requirePermission(permission);
    return children;
  };
}
