import type { Metadata } from "next";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { sameOriginPath } from "@/lib/auth/callback-url";
import { getAuthority } from "@/lib/auth/guard";
import { csrfCookieName, csrfTokenOf, secureCookies } from "@/lib/auth/login-csrf";
import { isOidcConfigured } from "@/lib/auth/next-auth";
import { LoginForm } from "./_components/login-form";

export const metadata: Metadata = { title: "Sign in" };

const RATE_LIMITED = /^Too many failed sign-ins\. Try again in \d+ (seconds|minutes)\.$/;

// The error comes back in the URL after a sign-in without JavaScript: show only words we
// wrote, never text someone put in a link.
function errorMessage(error: string | undefined): string | undefined {
  if (!error) return undefined;
  if (error === "AccessDenied") return "That account may not use this console.";
  if (error === "Invalid email or password." || error === "CredentialsSignin")
    return "Invalid email or password.";
  if (error === "Enter your email and password." || RATE_LIMITED.test(error)) return error;
  return "Sign-in failed. Try again.";
}

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const raw = Array.isArray(params.callbackUrl) ? params.callbackUrl[0] : params.callbackUrl;
  // Judged by URL parsing: `/\evil.example` and `/%09/evil` are not paths on this console.
  const callbackUrl = sameOriginPath(raw);
  if (await getAuthority()) redirect(callbackUrl);
  const error = typeof params.error === "string" ? params.error : undefined;
  const secret = process.env.NEXTAUTH_SECRET ?? "";
  const csrfCookie = (await cookies()).get(csrfCookieName(secureCookies()))?.value;
  const csrfToken = (await csrfTokenOf(csrfCookie, secret)) ?? "";
  return (
    <main className="login-wrap">
      <div className="card login-card">
        <div>
          <h1>Capability Console</h1>
          <p className="muted">Sign in to explore agent activity and manage capabilities.</p>
        </div>
        <LoginForm
          callbackUrl={callbackUrl}
          csrfToken={csrfToken}
          oidc={isOidcConfigured()}
          initialError={errorMessage(error)}
        />
      </div>
    </main>
  );
}
