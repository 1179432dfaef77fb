"use client";

import { signOut } from "next-auth/react";
import { useTransition } from "react";
import { THEME_COOKIE, THEMES, type Theme } from "@/lib/preferences";

// A display preference: set in the browser, read by the root layout on the next render.
function applyTheme(theme: string) {
  document.documentElement.dataset.theme = theme;
  // biome-ignore lint/suspicious/noDocumentCookie: a plain preference cookie, no authority in it.
  document.cookie = `${THEME_COOKIE}=${theme}; path=/; max-age=31536000; samesite=lax`;
}

export function UserMenu(props: {
  email: string;
  role: string;
  tenants: string[];
  activeTenant: string | null;
  theme: Theme;
  /** The route's server action, handed down by the layout: a shell component imports no route. */
  onSwitchTenant: (tenant: string | null) => Promise<unknown>;
}) {
  const [pending, startTransition] = useTransition();
  return (
    <>
      <label style={{ flexDirection: "row", alignItems: "center", gap: 6 }}>
        <span className="muted">Tenant</span>
        <select
          aria-label="Tenant"
          value={props.activeTenant ?? ""}
          disabled={pending}
          onChange={(e) => {
            const tenant = e.target.value || null;
            startTransition(async () => {
              await props.onSwitchTenant(tenant);
            });
          }}
        >
          {props.tenants.length > 1 ? <option value="">All my tenants</option> : null}
          {props.tenants.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label style={{ flexDirection: "row", alignItems: "center", gap: 6 }}>
        <span className="muted">Theme</span>
        <select aria-label="Theme" defaultValue={props.theme} onChange={(e) => applyTheme(e.target.value)}>
          {THEMES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <div className="user-chip" data-testid="current-user">
        <span>{props.email}</span>
        <span className={`badge ${props.role}`}>{props.role}</span>
      </div>
      <button type="button" onClick={() => signOut({ callbackUrl: "/login" })}>
        Sign out
      </button>
    </>
  );
}
