"use client";

import { useRouter } from "next/navigation";
import { getCsrfToken, signIn } from "next-auth/react";
import { type FormEvent, useState } from "react";

const CALLBACK = "/api/auth/callback/credentials";

// A real form that posts to next-auth's credentials callback, so it works (and keeps the
// password out of the URL) before this script loads. Once it has loaded, the same POST goes
// by fetch and the error shows without a page load.
export function LoginForm(props: {
  callbackUrl: string;
  csrfToken: string;
  oidc: boolean;
  initialError?: string;
}) {
  const router = useRouter();
  const [error, setError] = useState(props.initialError);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setPending(true);
    setError(undefined);
    try {
      const body = new URLSearchParams({
        email: String(form.get("email") ?? ""),
        password: String(form.get("password") ?? ""),
        csrfToken: props.csrfToken || ((await getCsrfToken()) ?? ""),
        callbackUrl: props.callbackUrl,
        json: "true",
      });
      const res = await fetch(CALLBACK, { method: "POST", body });
      const data = (await res.json()) as { url?: string };
      const failed = new URL(data.url ?? "/login?error=", window.location.href).searchParams.get("error");
      if (failed !== null) {
        setError(failed && failed !== "CredentialsSignin" ? failed : "Invalid email or password.");
        return;
      }
      router.replace(props.callbackUrl);
      router.refresh();
    } catch {
      setError("Sign-in failed. Check your connection and try again.");
    } finally {
      setPending(false);
    }
  }

  return (
    <form
      method="post"
      action={CALLBACK}
      onSubmit={onSubmit}
      className="login-card"
      aria-describedby={error ? "login-error" : undefined}
    >
      <input type="hidden" name="csrfToken" value={props.csrfToken} />
      <input type="hidden" name="callbackUrl" value={props.callbackUrl} />
      <label>
        Email
        <input name="email" type="email" autoComplete="username" required />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error ? (
        <p id="login-error" role="alert" className="error">
          {error}
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
      {props.oidc ? (
        <button type="button" onClick={() => signIn("oidc", { callbackUrl: props.callbackUrl })}>
          Sign in with single sign-on
        </button>
      ) : null}
    </form>
  );
}
