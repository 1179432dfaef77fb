import type { Metadata } from "next";
import { cookies } from "next/headers";
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
      <body>{children}</body>
    </html>
  );
}
