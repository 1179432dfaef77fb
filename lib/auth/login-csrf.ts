// The password form must work before its script loads (it posts straight to next-auth's
// credentials callback), so the page needs next-auth's CSRF token without a round trip
// through /api/auth/csrf. proxy.ts mints the double-submit cookie exactly as next-auth
// would (`token|sha256(token + secret)`) when the browser has none, and the page puts the
// token in a hidden field. Web Crypto only, so it runs wherever the proxy runs.

/** next-auth's cookie name: `__Host-` prefixed when the console is served over https. */
export function csrfCookieName(secure: boolean): string {
  return `${secure ? "__Host-" : ""}next-auth.csrf-token`;
}

/** Whether the console's cookies are Secure: NEXTAUTH_URL is https (next-auth's own rule). */
export function secureCookies(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.NEXTAUTH_URL ?? "").startsWith("https://");
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new cookie value next-auth will accept, with the token the form must send back. */
export async function mintCsrfCookie(secret: string): Promise<{ token: string; cookie: string }> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { token, cookie: `${token}|${await sha256Hex(`${token}${secret}`)}` };
}

/** The token inside a cookie value, if the cookie is one this secret made. */
export async function csrfTokenOf(cookieValue: string | undefined, secret: string): Promise<string | null> {
  if (!cookieValue) return null;
  const [token, hash] = cookieValue.split("|");
  if (!token || !hash) return null;
  return (await sha256Hex(`${token}${secret}`)) === hash ? token : null;
}
