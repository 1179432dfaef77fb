import "server-only";
import { headers } from "next/headers";
import { secureCookies } from "./login-csrf";

const YEAR_S = 60 * 60 * 24 * 365;

/**
 * Options for the tenant switcher's cookie: Secure whenever the console is reached over
 * https (by NEXTAUTH_URL, or by the scheme of this request as Next or the proxy saw it).
 */
export async function tenantCookieOptions() {
  const proto = (await headers()).get("x-forwarded-proto")?.split(",")[0]?.trim();
  return {
    httpOnly: true,
    sameSite: "lax" as const,
    path: "/",
    maxAge: YEAR_S,
    secure: secureCookies() || proto === "https",
  };
}
