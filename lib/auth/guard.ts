import "server-only";
import { cookies } from "next/headers";
import { forbidden, redirect } from "next/navigation";
import { decode } from "next-auth/jwt";
import { cache } from "react";
import type { Role } from "@/db/schema";
import { loadSessionAuthority } from "@/lib/data/console-sessions";
import { getDb } from "@/lib/server/db";
import { type Authority, hasRole } from "./authority";

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

/** For pages: sign-in page when anonymous, a 403 page when the role is not one of `roles`. */
export async function requireRole(roles: readonly Role[]): Promise<Authority> {
  const authority = await getAuthority();
  if (!authority) redirect("/login");
  if (!hasRole(authority, roles)) forbidden();
  return authority;
}

export type ActionDenied = { ok: false; error: string; fieldErrors?: Record<string, string[]> };

/** For server actions: a result the form can show, never a thrown redirect. */
export async function authorizeAction(
  roles: readonly Role[],
): Promise<{ ok: true; authority: Authority } | ActionDenied> {
  const authority = await getAuthority();
  if (!authority) return { ok: false, error: "Your session has ended. Sign in again." };
  if (!hasRole(authority, roles)) return { ok: false, error: "You are not allowed to do that." };
  return { ok: true, authority };
}

/** For route handlers: the authority, or the JSON error response to return. */
export async function authorizeRoute(roles: readonly Role[]): Promise<Authority | Response> {
  const authority = await getAuthority();
  if (!authority) return Response.json({ error: "Sign in first." }, { status: 401 });
  if (!hasRole(authority, roles))
    return Response.json({ error: "Your role does not allow this." }, { status: 403 });
  return authority;
}
