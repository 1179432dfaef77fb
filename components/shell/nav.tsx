"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { Role } from "@/db/schema";
import { type Permission, rolesFor } from "@/lib/auth/permissions";

const ITEMS: { href: string; label: string; permission: Permission }[] = [
  { href: "/", label: "Overview", permission: "console.read" },
  { href: "/events", label: "Events", permission: "events.read" },
  { href: "/requests", label: "Requests", permission: "console.read" },
  { href: "/principals", label: "Principals", permission: "console.read" },
  { href: "/sessions", label: "Sessions", permission: "sessions.read" },
  { href: "/escalations", label: "Escalations", permission: "escalations.read" },
  { href: "/revocations", label: "Revocations", permission: "revocations.read" },
  { href: "/gateway", label: "Gateway", permission: "gateway.read" },
  { href: "/alerts", label: "Alerts", permission: "alerts.triage" },
  { href: "/cases", label: "Cases", permission: "cases.manage" },
  { href: "/streams", label: "Streams", permission: "streams.manage" },
  { href: "/log", label: "Audit log", permission: "log.read" },
  { href: "/evidence/verify", label: "Verify evidence", permission: "console.read" },
  { href: "/admin", label: "Admin", permission: "users.manage" },
];

// Hiding links from other roles is comfort only: every page and action checks the role itself.
export function Nav({ role }: { role: Role | null }) {
  const pathname = usePathname();
  const items = ITEMS.filter((i) => role !== null && rolesFor(i.permission).includes(role));
  return (
    <nav className="nav" aria-label="Main">
      {items.map((item) => {
        const active = item.href === "/" ? pathname === "/" : pathname.startsWith(item.href);
        return (
          <Link key={item.href} href={item.href} aria-current={active ? "page" : undefined}>
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
