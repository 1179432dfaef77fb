import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getAuthority } from "@/lib/auth/guard";
import { isOidcConfigured } from "@/lib/auth/next-auth";
import { LoginForm } from "./_components/login-form";

export const metadata: Metadata = { title: "Sign in" };

// Only same-site paths: an open redirect here would hand a phishing page a trusted link.
function safeCallback(value: string | string[] | undefined): string {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.startsWith("/") && !v.startsWith("//") ? v : "/";
}

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const callbackUrl = safeCallback(params.callbackUrl);
  if (await getAuthority()) redirect(callbackUrl);
  const error = typeof params.error === "string" ? params.error : undefined;
  return (
    <main className="login-wrap">
      <div className="card login-card">
        <div>
          <h1>Capability Console</h1>
          <p className="muted">Sign in to explore agent activity and manage capabilities.</p>
        </div>
        <LoginForm
          callbackUrl={callbackUrl}
          oidc={isOidcConfigured()}
          initialError={error === "AccessDenied" ? "That account may not use this console." : undefined}
        />
      </div>
    </main>
  );
}
