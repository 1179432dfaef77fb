import { type NextRequest, NextResponse } from "next/server";
import { contentSecurityPolicy, newNonce } from "@/lib/auth/csp";
import { csrfCookieName, csrfTokenOf, mintCsrfCookie, secureCookies } from "@/lib/auth/login-csrf";

// Server actions are POSTs to a page with a Next-Action header. Next itself rejects a foreign
// Origin; this also refuses one with no Origin at all (a script, not a browser form), so only
// same-origin browsers can call them. Authorization is still each action's own guard.
function refuseForeignAction(request: NextRequest): NextResponse | null {
  if (request.method !== "POST" || !request.headers.has("next-action")) return null;
  const origin = request.headers.get("origin");
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  let sameOrigin = false;
  try {
    sameOrigin = origin !== null && new URL(origin).host === host;
  } catch {
    sameOrigin = false;
  }
  if (sameOrigin) return null;
  return NextResponse.json(
    { error: "Server actions are accepted from this console's own pages only (Origin missing or foreign)." },
    { status: 403 },
  );
}

export async function proxy(request: NextRequest) {
  const refused = refuseForeignAction(request);
  if (refused) return refused;

  // Every page gets its own nonce; Next reads it from the request's CSP header.
  const nonce = newNonce();
  const csp = contentSecurityPolicy({ nonce, dev: process.env.NODE_ENV === "development" });
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", csp);
  headers.set("x-nonce", nonce);

  // The sign-in page's form posts without JavaScript: it needs next-auth's CSRF cookie now.
  let minted: { name: string; value: string; secure: boolean } | null = null;
  const secret = process.env.NEXTAUTH_SECRET;
  if (request.nextUrl.pathname === "/login" && request.method === "GET" && secret) {
    const secure = secureCookies();
    const name = csrfCookieName(secure);
    if (!(await csrfTokenOf(request.cookies.get(name)?.value, secret))) {
      minted = { name, value: (await mintCsrfCookie(secret)).cookie, secure };
      const rest = request.cookies
        .getAll()
        .filter((c) => c.name !== name)
        .map((c) => `${c.name}=${encodeURIComponent(c.value)}`);
      headers.set("cookie", [...rest, `${name}=${encodeURIComponent(minted.value)}`].join("; "));
    }
  }

  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  if (minted) {
    response.cookies.set(minted.name, minted.value, {
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      secure: minted.secure,
    });
  }
  return response;
}

export const config = { matcher: ["/((?!_next/static|_next/image|api/).*)"] };
