import { cookies } from "next/headers";
import type { ReactNode } from "react";
import { Nav } from "@/components/shell/nav";
import { UserMenu } from "@/components/shell/user-menu";
import { getAuthority } from "@/lib/auth/guard";
import { parseTheme, THEME_COOKIE } from "@/lib/preferences";
import { switchTenant } from "./actions";

// The shell shows who is signed in; it gates nothing (every page calls requirePermission itself).
export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const authority = await getAuthority();
  const theme = parseTheme((await cookies()).get(THEME_COOKIE)?.value);
  return (
    <div className="shell">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          Capability Console
          <small>audit · escalate · revoke</small>
        </div>
        <Nav role={authority?.role ?? null} />
      </aside>
      <div>
        <header className="topbar">
          {authority ? (
            <UserMenu
              email={authority.email}
              role={authority.role}
              tenants={[...authority.tenants]}
              activeTenant={authority.activeTenant}
              theme={theme}
              onSwitchTenant={switchTenant}
            />
          ) : null}
        </header>
        <main id="content" className="main">
          {children}
        </main>
      </div>
    </div>
  );
}
