import type { Metadata } from "next";
import { cookies } from "next/headers";
import { NuqsAdapter } from "nuqs/adapters/next/app";
import type { ReactNode } from "react";
import { parseTheme, THEME_COOKIE } from "@/lib/preferences";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Capability Console", template: "%s · Capability Console" },
  description: "Audit explorer and admin console for capability-secure AI agents",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const theme = parseTheme((await cookies()).get(THEME_COOKIE)?.value);
  return (
    <html lang="en" data-theme={theme}>
      <body>
        {/* Typed URL state (nuqs): pages keep their filters in the address, shareable and reloadable. */}
        <NuqsAdapter>{children}</NuqsAdapter>
      </body>
    </html>
  );
}
